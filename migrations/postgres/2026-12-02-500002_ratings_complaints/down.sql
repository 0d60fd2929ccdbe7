DROP TABLE complaints;
DROP TABLE rating_links;
