-- Each person's language for the pages (BCP 47 tag), chosen with the header's
-- language buttons; NULL follows the browser.  Only the languages the
-- message catalogue has are allowed.
ALTER TABLE users ADD COLUMN language text CHECK (language IN ('en', 'zh-Hant'));
