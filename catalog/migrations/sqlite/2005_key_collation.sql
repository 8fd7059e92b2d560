-- PostgreSQL only (the collation of the columns that refer to dataset ids); SQLite compares text bytewise already.
SELECT 1;
