-- Open data: the OCID prefix a tenant publishes its procurement rounds under
-- (`ocds-` and six lower-case letters or digits, registered with the Open Contracting
-- Partnership). NULL: none stored; the installation's VIDARE_OCID_PREFIXES applies, and
-- for synthetic tenants the standard's test prefix.
ALTER TABLE tenants ADD COLUMN ocid_prefix TEXT
    CHECK (ocid_prefix IS NULL OR (length(ocid_prefix) = 11 AND substr(ocid_prefix, 1, 5) = 'ocds-'));
