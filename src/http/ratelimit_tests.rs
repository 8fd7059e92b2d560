//! Unit tests of `ratelimit` (kept apart so the module stays short).
use super::*;

#[test]
fn rates_parse_and_print() {
    assert_eq!("20/s".parse(), Ok(Rate::per_second(20, 40)));
    assert_eq!("2/s:5".parse(), Ok(Rate::per_second(2, 5)));
    let per_minute: Rate = "600/min:50".parse().unwrap();
    assert_eq!(per_minute.per, Duration::from_secs(60));
    assert_eq!(per_minute.to_string(), "600/min:50");
    for bad in ["", "20", "0/s", "20/s:0", "20/week", "x/s", "2000000/s"] {
        assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
    }
    assert_eq!(
        parse_role_rate("Steward=5/s:9"),
        Ok((Role::Steward, Rate::per_second(5, 9)))
    );
    assert!(parse_role_rate("admin=5/s").is_err());
}

#[test]
fn nodes_share_a_quota() {
    let quota = Rate::per_second(20, 40).quota(4);
    assert_eq!(quota.replenish_interval(), Duration::from_millis(200));
    assert_eq!(quota.burst_size().get(), 10);
    assert_eq!(Rate::per_second(2, 5).quota(3).burst_size().get(), 2);
}

#[test]
fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let trusted = vec![
        parse_trusted_proxy("10.0.0.0/8").unwrap(),
        parse_trusted_proxy("192.0.2.7").unwrap(),
    ];
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        HeaderValue::from_static("1.1.1.1, 203.0.113.9, 10.1.2.3"),
    );
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    // A stranger's header is ignored.
    assert_eq!(
        client_address(ip("198.51.100.1"), &headers, &trusted),
        ip("198.51.100.1")
    );
    // Through two trusted proxies: the nearest untrusted hop, not the spoofable leftmost one.
    assert_eq!(
        client_address(ip("192.0.2.7"), &headers, &trusted),
        ip("203.0.113.9")
    );
    assert_eq!(
        client_address(ip("::ffff:10.0.0.1"), &HeaderMap::new(), &trusted),
        ip("10.0.0.1")
    );
    headers.insert(
        "x-forwarded-for",
        HeaderValue::from_static("junk, 10.9.9.9"),
    );
    assert_eq!(
        client_address(ip("10.0.0.1"), &headers, &trusted),
        ip("10.9.9.9")
    );
}

#[test]
fn ipv6_clients_share_their_slash_64() {
    let a = bucket_key("2001:db8:1:2:aaaa::1".parse().unwrap());
    let b = bucket_key("2001:db8:1:2:bbbb::2".parse().unwrap());
    assert_eq!(a, b);
    assert_eq!(a, "2001:db8:1:2::".parse::<IpAddr>().unwrap());
}

#[test]
fn a_bucket_refuses_past_its_burst_and_says_when() {
    let settings = RateLimits::default();
    let bucket: Bucket<i64> = Bucket::new(
        "t",
        Rate::per_second(1, 3),
        &settings,
        &Arc::new(Notify::new()),
    );
    let remaining: Vec<u32> = (0..3).map(|_| bucket.check(&7).remaining).collect();
    assert_eq!(remaining, [2, 1, 0]);
    let refused = bucket.check(&7);
    assert!(
        refused
            .retry_after
            .is_some_and(|w| w <= Duration::from_secs(1))
    );
    assert_eq!(whole_seconds(refused.reset), 3);
    assert!(
        bucket.check(&8).retry_after.is_none(),
        "keys are independent"
    );
}

#[test]
fn the_idlest_keys_go_past_the_cap() {
    let settings = RateLimits {
        max_tracked_keys: 10,
        ..RateLimits::default()
    };
    let over_cap = Arc::new(Notify::new());
    let bucket: Bucket<i64> = Bucket::new("t", Rate::per_second(1, 100), &settings, &over_cap);
    for key in 0..20 {
        bucket.check(&key);
    }
    // The busiest key has the latest arrival time: it must survive.
    for _ in 0..50 {
        bucket.check(&0);
    }
    assert_eq!(bucket.keys.map.len(), 20);
    assert_eq!(bucket.keys.evict_idle(), 11);
    assert_eq!(bucket.keys.map.len(), 9);
    assert!(bucket.keys.map.contains_key(&0));
    // Keys whose bucket has refilled are forgotten by the periodic sweep.
    let quick: Bucket<i64> = Bucket::new("q", Rate::per_second(1000, 1), &settings, &over_cap);
    quick.check(&1);
    std::thread::sleep(Duration::from_millis(5));
    quick.sweep();
    assert_eq!(quick.keys.map.len(), 0);
}
