-- The language each citizen chose (NULL: not chosen yet; the deployment's default is used).
ALTER TABLE citizens ADD COLUMN language TEXT;
