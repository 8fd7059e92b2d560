#![doc = include_str!("../README.md")]

macro_rules! terms {
    ($(#[$doc:meta])* $module:ident, $ns:literal, { $($name:ident = $local:literal),* $(,)? }) => {
        $(#[$doc])*
        pub mod $module {
            use oxrdf::NamedNodeRef;
            /// The namespace IRI.
            pub const NAMESPACE: &str = $ns;
            $(
                #[doc = concat!("`", $ns, $local, "`")]
                pub const $name: NamedNodeRef<'static> = NamedNodeRef::new_unchecked(concat!($ns, $local));
            )*
        }
    };
}

terms!(
    /// W3C SKOS core.
    skos, "http://www.w3.org/2004/02/skos/core#", {
    CONCEPT = "Concept",
    CONCEPT_SCHEME = "ConceptScheme",
    IN_SCHEME = "inScheme",
    TOP_CONCEPT_OF = "topConceptOf",
    HAS_TOP_CONCEPT = "hasTopConcept",
    PREF_LABEL = "prefLabel",
    ALT_LABEL = "altLabel",
    DEFINITION = "definition",
    NOTATION = "notation",
    BROADER = "broader",
    NARROWER = "narrower",
    EXACT_MATCH = "exactMatch",
    CLOSE_MATCH = "closeMatch",
    NOTE = "note",
});

terms!(
    /// DCMI metadata terms.
    dct, "http://purl.org/dc/terms/", {
    TITLE = "title",
    DESCRIPTION = "description",
    IDENTIFIER = "identifier",
    PUBLISHER = "publisher",
    LICENSE = "license",
    ISSUED = "issued",
    MODIFIED = "modified",
    CREATED = "created",
    VALID = "valid",
    IS_REPLACED_BY = "isReplacedBy",
    REPLACES = "replaces",
    IS_VERSION_OF = "isVersionOf",
    HAS_VERSION = "hasVersion",
    SOURCE = "source",
    CONFORMS_TO = "conformsTo",
    DATE = "date",
    PERIOD_OF_TIME = "PeriodOfTime",
    TEMPORAL = "temporal",
    ACCESS_RIGHTS = "accessRights",
    ACCRUAL_PERIODICITY = "accrualPeriodicity",
    FORMAT = "format",
    FREQUENCY = "Frequency",
    LANGUAGE = "language",
    LICENSE_DOCUMENT = "LicenseDocument",
    LINGUISTIC_SYSTEM = "LinguisticSystem",
    LOCATION = "Location",
    MEDIA_TYPE = "MediaType",
    MEDIA_TYPE_OR_EXTENT = "MediaTypeOrExtent",
    RIGHTS_STATEMENT = "RightsStatement",
    SPATIAL = "spatial",
    STANDARD = "Standard",
});

terms!(
    /// W3C DCAT 3.
    dcat, "http://www.w3.org/ns/dcat#", {
    DATASET = "Dataset",
    DISTRIBUTION = "Distribution",
    CATALOG = "Catalog",
    DATA_SERVICE = "DataService",
    VERSION = "version",
    START_DATE = "startDate",
    END_DATE = "endDate",
    HAS_CURRENT_VERSION = "hasCurrentVersion",
    PREVIOUS_VERSION = "previousVersion",
    HAS_VERSION = "hasVersion",
    ACCESS_URL = "accessURL",
    BYTE_SIZE = "byteSize",
    CONTACT_POINT = "contactPoint",
    DATASET_PROPERTY = "dataset",
    DISTRIBUTION_PROPERTY = "distribution",
    DOWNLOAD_URL = "downloadURL",
    ENDPOINT_DESCRIPTION = "endpointDescription",
    ENDPOINT_URL = "endpointURL",
    KEYWORD = "keyword",
    LANDING_PAGE = "landingPage",
    MEDIA_TYPE = "mediaType",
    SERVES_DATASET = "servesDataset",
    SERVICE = "service",
    THEME = "theme",
    THEME_TAXONOMY = "themeTaxonomy",
});

terms!(
    /// W3C ADMS.
    adms, "http://www.w3.org/ns/adms#", {
    STATUS = "status",
    VERSION_NOTES = "versionNotes",
    IDENTIFIER = "identifier",
});

terms!(
    /// OWL (only `owl:deprecated`; `owl:sameAs` is deliberately absent: an item and its versions are never the same).
    owl, "http://www.w3.org/2002/07/owl#", {
    DEPRECATED = "deprecated",
});

terms!(
    /// XML Schema datatypes.
    xsd, "http://www.w3.org/2001/XMLSchema#", {
    DATE = "date",
    DATE_TIME = "dateTime",
    BOOLEAN = "boolean",
    STRING = "string",
    INTEGER = "integer",
    DECIMAL = "decimal",
    ANY_URI = "anyURI",
    HEX_BINARY = "hexBinary",
    NON_NEGATIVE_INTEGER = "nonNegativeInteger",
});

terms!(
    /// W3C Data Quality Vocabulary (the metadata quality score in DCAT output).
    dqv, "http://www.w3.org/ns/dqv#", {
    QUALITY_MEASUREMENT = "QualityMeasurement",
    METRIC = "Metric",
    DIMENSION = "Dimension",
    HAS_QUALITY_MEASUREMENT = "hasQualityMeasurement",
    IS_MEASUREMENT_OF = "isMeasurementOf",
    IN_DIMENSION = "inDimension",
    VALUE = "value",
    COMPUTED_ON = "computedOn",
    EXPECTED_DATA_TYPE = "expectedDataType",
});

terms!(
    /// RDF core.
    rdf, "http://www.w3.org/1999/02/22-rdf-syntax-ns#", {
    TYPE = "type",
});

terms!(
    /// RDF Schema.
    rdfs, "http://www.w3.org/2000/01/rdf-schema#", {
    RESOURCE = "Resource",
});

terms!(
    /// FOAF (agents and documents, as DCAT-AP uses them).
    foaf, "http://xmlns.com/foaf/0.1/", {
    AGENT = "Agent",
    DOCUMENT = "Document",
    HOMEPAGE = "homepage",
    NAME = "name",
    PAGE = "page",
});

terms!(
    /// vCard (contact points).
    vcard, "http://www.w3.org/2006/vcard/ns#", {
    FN = "fn",
    HAS_EMAIL = "hasEmail",
    KIND = "Kind",
});

terms!(
    /// SPDX (checksums).
    spdx, "http://spdx.org/rdf/terms#", {
    ALGORITHM = "algorithm",
    CHECKSUM = "checksum",
    CHECKSUM_ALGORITHM = "ChecksumAlgorithm",
    CHECKSUM_CLASS = "Checksum",
    CHECKSUM_VALUE = "checksumValue",
    SHA256 = "checksumAlgorithm_sha256",
});

terms!(
    /// Hydra paging (current `PartialCollectionView` and the deprecated `PagedCollection` terms harvesters still read).
    hydra, "http://www.w3.org/ns/hydra/core#", {
    COLLECTION = "Collection",
    FIRST = "first",
    FIRST_PAGE = "firstPage",
    ITEMS_PER_PAGE = "itemsPerPage",
    LAST = "last",
    LAST_PAGE = "lastPage",
    NEXT = "next",
    NEXT_PAGE = "nextPage",
    PAGED_COLLECTION = "PagedCollection",
    PARTIAL_COLLECTION_VIEW = "PartialCollectionView",
    PREVIOUS = "previous",
    PREVIOUS_PAGE = "previousPage",
    TOTAL_ITEMS = "totalItems",
    VIEW = "view",
});

terms!(
    /// schema.org (read from harvested DCAT where publishers use it).
    schema, "http://schema.org/", {
    START_DATE = "startDate",
    END_DATE = "endDate",
});

terms!(
    /// EU Vocabularies ADMS status (`http://publications.europa.eu/resource/authority/concept-status/`).
    concept_status, "http://publications.europa.eu/resource/authority/concept-status/", {
    CURRENT = "CURRENT",
    DEPRECATED = "DEPRECATED",
    RETIRED = "RETIRED",
    PROPOSED = "PROPOSED",
    INVALID = "INVALID",
});

terms!(
    /// Our own registry vocabulary, for facts SKOS has no term for (legal basis, notation types).
    reg, "https://w3id.org/opendata-vn/registry#", {
    LEGAL_BASIS = "legalBasis",
    NOTATION_TYPE_PREFIX = "notation/",
    RELEASE_NUMBER = "releaseNumber",
    MANIFEST_SHA256 = "manifestSha256",
});

#[cfg(test)]
mod tests {
    #[test]
    fn terms_are_valid_iris() {
        for term in [
            super::skos::CONCEPT,
            super::dct::IS_REPLACED_BY,
            super::owl::DEPRECATED,
        ] {
            oxrdf::NamedNode::new(term.as_str()).unwrap();
        }
    }
}
