-- The customers who carry a tag, for a tag renamed or deleted in WeCom's tag
-- library (change_external_tag).
CREATE INDEX customer_tags_tag ON customer_tags (tag_id);
