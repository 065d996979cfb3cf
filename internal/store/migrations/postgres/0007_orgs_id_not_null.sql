-- House rule 4: the column naming a tenant table's organization is NOT
-- NULL. SQLite needed orgs rebuilt for it; on PostgreSQL a PRIMARY KEY is
-- NOT NULL already, so this only states it (and keeps the numbering of the
-- two dialects the same).
ALTER TABLE orgs ALTER COLUMN id SET NOT NULL;
