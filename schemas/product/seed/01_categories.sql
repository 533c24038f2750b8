-- A small category tree: top-level categories first, then their children by parent slug.
INSERT INTO ${schema}.categories (slug, name, position)
VALUES ('apparel', 'Apparel', 1),
       ('home', 'Home & Kitchen', 2)
ON CONFLICT (slug) DO NOTHING;

INSERT INTO ${schema}.categories (parent_id, slug, name, position)
SELECT parent.id, child.slug, child.name, child.position
FROM (VALUES ('apparel', 'apparel-shirts', 'Shirts', 1),
             ('apparel', 'apparel-hoodies', 'Hoodies', 2),
             ('home', 'home-mugs', 'Mugs', 1)) AS child (parent_slug, slug, name, position)
JOIN ${schema}.categories AS parent ON parent.slug = child.parent_slug
ON CONFLICT (slug) DO NOTHING;
