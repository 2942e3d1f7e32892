-- Invoicing: what a Peppol BIS Billing 3.0 invoice needs beyond 0001 (the buyer's
-- identity, the supplier's VAT status and payment account, the VAT category per
-- agreement and line) and the payment of an invoice.
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, money integer öre, as in 0001.

-- The municipality as the buyer on its suppliers' invoices. Invoices cannot be exported
-- until the organisation number and the buyer reference are set.
CREATE TABLE invoicing_settings (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants (id),
    -- The municipality's organisation number, 10 digits (e.g. 2120002411): the buyer's
    -- Peppol endpoint and legal registration id, scheme 0007.
    org_number TEXT NOT NULL,
    -- The buyer reference (BT-10, Peppol: mandatory), e.g. the unit's reference code.
    buyer_reference TEXT NOT NULL,
    street TEXT,
    postcode TEXT,
    city TEXT,
    -- Payment terms: due date = issue date + this many days.
    payment_days BIGINT NOT NULL DEFAULT 30 CHECK (payment_days BETWEEN 0 AND 120),
    updated_at TIMESTAMPTZ NOT NULL
);

-- Whether the supplier is registered for VAT (its VAT number is then SE + the 10-digit
-- organisation number + 01). An unregistered supplier invoices outside the scope of VAT
-- (category O). The bankgiro number is where the municipality pays.
ALTER TABLE organisations ADD COLUMN vat_registered BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE organisations ADD COLUMN bankgiro TEXT;

-- The VAT category of the placements bought under an agreement: 'E' exempt (welfare and
-- social security work, the usual case) or 'S' standard rate 25 %.
ALTER TABLE framework_agreements ADD COLUMN vat_category TEXT NOT NULL DEFAULT 'E' CHECK (vat_category IN ('E', 'S'));

-- A line's VAT category as invoiced ('O': the supplier is not VAT-registered).
ALTER TABLE invoice_lines ADD COLUMN vat_category TEXT NOT NULL DEFAULT 'E' CHECK (vat_category IN ('E', 'S', 'O'));

-- The buyer reference printed on the invoice, the reason of a credit note, when it was
-- created, and its payment.
ALTER TABLE invoices ADD COLUMN buyer_reference TEXT;
ALTER TABLE invoices ADD COLUMN note TEXT;
ALTER TABLE invoices ADD COLUMN created_at TIMESTAMPTZ;
ALTER TABLE invoices ADD COLUMN paid_on DATE;
ALTER TABLE invoices ADD COLUMN paid_ore BIGINT CHECK (paid_ore >= 0);

CREATE INDEX invoices_tenant_month ON invoices (tenant_id, month, organisation_id);
CREATE INDEX invoice_lines_placement ON invoice_lines (tenant_id, placement_id);
