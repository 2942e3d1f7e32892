-- Totals the effect measurement reads instead of aggregating every attendance month and
-- invoice line on each run. Kept exact by triggers on the tables they sum, whatever path
-- writes them (pages, API, import, bulk load). The PostgreSQL migration of the same
-- number explains the tables; SQLite has only row triggers, which suit its scale.
--
-- placement_totals: per placement, the number of attendance months reported, the minutes
-- attended, and what was invoiced for it on invoices past draft (credit notes negative).
-- supplier_month_payments: the same invoiced amounts per supplier, agreement and invoice
-- month; `line_count` counts the lines behind a row: a row with none left is what a
-- GROUP BY over the lines would not give, and readers skip it.

CREATE TABLE placement_totals (
    tenant_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL PRIMARY KEY,
    attendance_months INTEGER NOT NULL DEFAULT 0,
    attended_minutes INTEGER NOT NULL DEFAULT 0,
    paid_ore INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE supplier_month_payments (
    tenant_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    agreement_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    amount_ore INTEGER NOT NULL,
    line_count INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, organisation_id, agreement_id, month)
);

-- Attendance: months and minutes per placement.
CREATE TRIGGER attendance_totals_insert AFTER INSERT ON attendance_months BEGIN
    INSERT INTO placement_totals (tenant_id, placement_id, attendance_months, attended_minutes)
    VALUES (NEW.tenant_id, NEW.placement_id, 1, NEW.attended_minutes)
    ON CONFLICT (placement_id) DO UPDATE SET
        attendance_months = attendance_months + 1,
        attended_minutes = attended_minutes + excluded.attended_minutes;
END;

CREATE TRIGGER attendance_totals_update AFTER UPDATE OF placement_id, attended_minutes ON attendance_months BEGIN
    UPDATE placement_totals SET
        attendance_months = attendance_months - 1,
        attended_minutes = attended_minutes - OLD.attended_minutes
    WHERE placement_id = OLD.placement_id;
    INSERT INTO placement_totals (tenant_id, placement_id, attendance_months, attended_minutes)
    VALUES (NEW.tenant_id, NEW.placement_id, 1, NEW.attended_minutes)
    ON CONFLICT (placement_id) DO UPDATE SET
        attendance_months = attendance_months + 1,
        attended_minutes = attended_minutes + excluded.attended_minutes;
END;

CREATE TRIGGER attendance_totals_delete AFTER DELETE ON attendance_months BEGIN
    UPDATE placement_totals SET
        attendance_months = attendance_months - 1,
        attended_minutes = attended_minutes - OLD.attended_minutes
    WHERE placement_id = OLD.placement_id;
END;

-- Invoice lines: what their invoice, as it stands, makes them count for (nothing on a
-- draft, the amount on an invoice past draft, negative on a credit note).
CREATE TRIGGER invoice_lines_totals_insert AFTER INSERT ON invoice_lines BEGIN
    INSERT INTO placement_totals (tenant_id, placement_id, paid_ore)
    SELECT NEW.tenant_id, NEW.placement_id,
           CASE WHEN i.kind = 'credit_note' THEN -NEW.amount_ore ELSE NEW.amount_ore END
    FROM invoices i WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.invoice_id AND i.status <> 'draft'
    ON CONFLICT (placement_id) DO UPDATE SET paid_ore = paid_ore + excluded.paid_ore;
    INSERT INTO supplier_month_payments
        (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
    SELECT NEW.tenant_id, i.organisation_id, NEW.agreement_id, i.month,
           CASE WHEN i.kind = 'credit_note' THEN -NEW.amount_ore ELSE NEW.amount_ore END, 1
    FROM invoices i WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.invoice_id AND i.status <> 'draft'
    ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
        amount_ore = amount_ore + excluded.amount_ore,
        line_count = line_count + 1;
END;

CREATE TRIGGER invoice_lines_totals_delete AFTER DELETE ON invoice_lines BEGIN
    UPDATE placement_totals SET paid_ore = paid_ore - (
        SELECT CASE WHEN i.kind = 'credit_note' THEN -OLD.amount_ore ELSE OLD.amount_ore END
        FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id)
    WHERE placement_id = OLD.placement_id
      AND EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = OLD.tenant_id
                  AND i.id = OLD.invoice_id AND i.status <> 'draft');
    UPDATE supplier_month_payments SET
        amount_ore = amount_ore - (
            SELECT CASE WHEN i.kind = 'credit_note' THEN -OLD.amount_ore ELSE OLD.amount_ore END
            FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id),
        line_count = line_count - 1
    WHERE (tenant_id, organisation_id, agreement_id, month) IN (
        SELECT OLD.tenant_id, i.organisation_id, OLD.agreement_id, i.month FROM invoices i
        WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id AND i.status <> 'draft');
END;

-- An updated line counts as the old one deleted and the new one inserted.
CREATE TRIGGER invoice_lines_totals_update
AFTER UPDATE OF tenant_id, invoice_id, placement_id, agreement_id, amount_ore ON invoice_lines BEGIN
    UPDATE placement_totals SET paid_ore = paid_ore - (
        SELECT CASE WHEN i.kind = 'credit_note' THEN -OLD.amount_ore ELSE OLD.amount_ore END
        FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id)
    WHERE placement_id = OLD.placement_id
      AND EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = OLD.tenant_id
                  AND i.id = OLD.invoice_id AND i.status <> 'draft');
    UPDATE supplier_month_payments SET
        amount_ore = amount_ore - (
            SELECT CASE WHEN i.kind = 'credit_note' THEN -OLD.amount_ore ELSE OLD.amount_ore END
            FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id),
        line_count = line_count - 1
    WHERE (tenant_id, organisation_id, agreement_id, month) IN (
        SELECT OLD.tenant_id, i.organisation_id, OLD.agreement_id, i.month FROM invoices i
        WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id AND i.status <> 'draft');
    INSERT INTO placement_totals (tenant_id, placement_id, paid_ore)
    SELECT NEW.tenant_id, NEW.placement_id,
           CASE WHEN i.kind = 'credit_note' THEN -NEW.amount_ore ELSE NEW.amount_ore END
    FROM invoices i WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.invoice_id AND i.status <> 'draft'
    ON CONFLICT (placement_id) DO UPDATE SET paid_ore = paid_ore + excluded.paid_ore;
    INSERT INTO supplier_month_payments
        (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
    SELECT NEW.tenant_id, i.organisation_id, NEW.agreement_id, i.month,
           CASE WHEN i.kind = 'credit_note' THEN -NEW.amount_ore ELSE NEW.amount_ore END, 1
    FROM invoices i WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.invoice_id AND i.status <> 'draft'
    ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
        amount_ore = amount_ore + excluded.amount_ore,
        line_count = line_count + 1;
END;

-- Invoices: a change of status, kind, supplier or month takes its lines' amounts out as
-- they counted before and puts them in as they count now.
CREATE TRIGGER invoices_totals_update AFTER UPDATE OF status, kind, organisation_id, month ON invoices
WHEN (OLD.status <> 'draft' OR NEW.status <> 'draft')
 AND (OLD.status IS NOT NEW.status OR OLD.kind IS NOT NEW.kind
      OR OLD.organisation_id IS NOT NEW.organisation_id OR OLD.month IS NOT NEW.month)
BEGIN
    UPDATE placement_totals SET paid_ore = paid_ore
        - COALESCE((SELECT SUM(CASE WHEN OLD.status = 'draft' THEN 0
                                    WHEN OLD.kind = 'credit_note' THEN -l.amount_ore
                                    ELSE l.amount_ore END)
                    FROM invoice_lines l WHERE l.tenant_id = OLD.tenant_id AND l.invoice_id = OLD.id
                      AND l.placement_id = placement_totals.placement_id), 0)
    WHERE placement_id IN (SELECT l.placement_id FROM invoice_lines l
                           WHERE l.tenant_id = OLD.tenant_id AND l.invoice_id = OLD.id);
    UPDATE supplier_month_payments SET
        amount_ore = amount_ore - COALESCE((
            SELECT SUM(CASE WHEN OLD.kind = 'credit_note' THEN -l.amount_ore ELSE l.amount_ore END)
            FROM invoice_lines l WHERE l.tenant_id = OLD.tenant_id AND l.invoice_id = OLD.id
              AND l.agreement_id = supplier_month_payments.agreement_id), 0),
        line_count = line_count - (
            SELECT COUNT(*) FROM invoice_lines l WHERE l.tenant_id = OLD.tenant_id
              AND l.invoice_id = OLD.id AND l.agreement_id = supplier_month_payments.agreement_id)
    WHERE OLD.status <> 'draft' AND tenant_id = OLD.tenant_id
      AND organisation_id = OLD.organisation_id AND month = OLD.month
      AND agreement_id IN (SELECT l.agreement_id FROM invoice_lines l
                           WHERE l.tenant_id = OLD.tenant_id AND l.invoice_id = OLD.id);
    INSERT INTO placement_totals (tenant_id, placement_id, paid_ore)
    SELECT l.tenant_id, l.placement_id,
           SUM(CASE WHEN NEW.status = 'draft' THEN 0
                    WHEN NEW.kind = 'credit_note' THEN -l.amount_ore ELSE l.amount_ore END)
    FROM invoice_lines l WHERE l.tenant_id = NEW.tenant_id AND l.invoice_id = NEW.id
    GROUP BY l.tenant_id, l.placement_id
    ON CONFLICT (placement_id) DO UPDATE SET paid_ore = paid_ore + excluded.paid_ore;
    INSERT INTO supplier_month_payments
        (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
    SELECT l.tenant_id, NEW.organisation_id, l.agreement_id, NEW.month,
           SUM(CASE WHEN NEW.kind = 'credit_note' THEN -l.amount_ore ELSE l.amount_ore END), COUNT(*)
    FROM invoice_lines l
    WHERE NEW.status <> 'draft' AND l.tenant_id = NEW.tenant_id AND l.invoice_id = NEW.id
    GROUP BY l.tenant_id, l.agreement_id
    ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
        amount_ore = amount_ore + excluded.amount_ore,
        line_count = line_count + excluded.line_count;
END;

-- What is already there.
INSERT INTO placement_totals (tenant_id, placement_id, attendance_months, attended_minutes)
SELECT tenant_id, placement_id, COUNT(*), SUM(attended_minutes)
FROM attendance_months WHERE true GROUP BY tenant_id, placement_id;

INSERT INTO placement_totals (tenant_id, placement_id, paid_ore)
SELECT l.tenant_id, l.placement_id,
       SUM(CASE WHEN i.kind = 'credit_note' THEN -l.amount_ore ELSE l.amount_ore END)
FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
WHERE i.status <> 'draft' GROUP BY l.tenant_id, l.placement_id
ON CONFLICT (placement_id) DO UPDATE SET paid_ore = excluded.paid_ore;

INSERT INTO supplier_month_payments
    (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
SELECT l.tenant_id, i.organisation_id, l.agreement_id, i.month,
       SUM(CASE WHEN i.kind = 'credit_note' THEN -l.amount_ore ELSE l.amount_ore END), COUNT(*)
FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
WHERE i.status <> 'draft' GROUP BY l.tenant_id, i.organisation_id, l.agreement_id, i.month;
