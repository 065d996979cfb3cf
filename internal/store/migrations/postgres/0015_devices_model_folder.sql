-- LIC-5: the need of every license product is counted per model and
-- folder in one query; this index covers it, so the products' status stays
-- fast in an organization of 100,000 devices.
CREATE INDEX devices_model_folder ON devices(org_id, model, folder_id);
