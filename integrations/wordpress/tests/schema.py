"""The real table definitions, with ``{p}`` for the table prefix, as the plugins create them.

Sources (see /work/shared/research/real-schemas.md): WordPress core ``wp-admin/includes/schema.php``
(WordPress/wordpress-develop @ 01501ab4) for posts/postmeta/options; Form Vibes 1.5.2
``inc/classes/db-tables.php``; WooCommerce ``class-wc-install.php`` @ 0129f192 (order items) and
``OrdersTableDataStore::get_database_schema()`` @ 000233cc (HPOS, index lengths filled in as
WordPress computes them for utf8mb4); CartFlows 1.3.0 ``class-cartflows-ca-database.php``.
"""

WORDPRESS_CORE = [
    """CREATE TABLE {p}options (
    option_id bigint(20) unsigned NOT NULL auto_increment,
    option_name varchar(191) NOT NULL default '',
    option_value longtext NOT NULL,
    autoload varchar(20) NOT NULL default 'yes',
    PRIMARY KEY  (option_id),
    UNIQUE KEY option_name (option_name),
    KEY autoload (autoload)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
    """CREATE TABLE {p}postmeta (
    meta_id bigint(20) unsigned NOT NULL auto_increment,
    post_id bigint(20) unsigned NOT NULL default '0',
    meta_key varchar(255) default NULL,
    meta_value longtext,
    PRIMARY KEY  (meta_id),
    KEY post_id (post_id),
    KEY meta_key (meta_key(191))
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
    """CREATE TABLE {p}posts (
    ID bigint(20) unsigned NOT NULL auto_increment,
    post_author bigint(20) unsigned NOT NULL default '0',
    post_date datetime NOT NULL default '0000-00-00 00:00:00',
    post_date_gmt datetime NOT NULL default '0000-00-00 00:00:00',
    post_content longtext NOT NULL,
    post_title text NOT NULL,
    post_excerpt text NOT NULL,
    post_status varchar(20) NOT NULL default 'publish',
    comment_status varchar(20) NOT NULL default 'open',
    ping_status varchar(20) NOT NULL default 'open',
    post_password varchar(255) NOT NULL default '',
    post_name varchar(200) NOT NULL default '',
    to_ping text NOT NULL,
    pinged text NOT NULL,
    post_modified datetime NOT NULL default '0000-00-00 00:00:00',
    post_modified_gmt datetime NOT NULL default '0000-00-00 00:00:00',
    post_content_filtered longtext NOT NULL,
    post_parent bigint(20) unsigned NOT NULL default '0',
    guid varchar(255) NOT NULL default '',
    menu_order int(11) NOT NULL default '0',
    post_type varchar(20) NOT NULL default 'post',
    post_mime_type varchar(100) NOT NULL default '',
    comment_count bigint(20) NOT NULL default '0',
    PRIMARY KEY  (ID),
    KEY post_name (post_name(191)),
    KEY type_status_date (post_type,post_status,post_date,ID),
    KEY post_parent (post_parent),
    KEY post_author (post_author)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
]

FORM_VIBES = [
    """CREATE TABLE {p}fv_enteries (
      `id` int(11) UNIQUE KEY AUTO_INCREMENT NOT NULL,
      `form_plugin` varchar(50) NOT NULL,
      `form_id` varchar(100) NOT NULL,
      `captured` varchar(50) NOT NULL,
      `captured_gmt` varchar(50) NOT NULL,
      `url` text NULL,
      `user_agent` text NULL,
      `fv_status` varchar(100) NOT NULL DEFAULT 'undefined'
    )collate utf8mb4_unicode_520_ci""",
    """CREATE TABLE {p}fv_entry_meta (
      `id` int(11) UNIQUE KEY AUTO_INCREMENT NOT NULL,
      `data_id` varchar(50) NOT NULL,
      `meta_key` varchar(100) NOT NULL,
      `meta_value` text NOT NULL
    )collate utf8mb4_unicode_520_ci""",
]

ORDER_ITEMS = [
    """CREATE TABLE {p}woocommerce_order_items (
  order_item_id bigint(20) unsigned NOT NULL auto_increment,
  order_item_name text NOT NULL,
  order_item_type varchar(200) NOT NULL DEFAULT '',
  order_id bigint(20) unsigned NOT NULL,
  PRIMARY KEY  (order_item_id),
  KEY order_id (order_id)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
    """CREATE TABLE {p}woocommerce_order_itemmeta (
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  order_item_id bigint(20) unsigned NOT NULL,
  meta_key varchar(255) default NULL,
  meta_value longtext NULL,
  PRIMARY KEY  (meta_id),
  KEY order_item_id (order_item_id),
  KEY meta_key (meta_key(32))
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
]

HPOS = [
    """CREATE TABLE {p}wc_orders (
    id bigint(20) unsigned,
    status varchar(20) null,
    currency varchar(10) null,
    type varchar(20) null,
    tax_amount decimal(26,8) null,
    total_amount decimal(26,8) null,
    customer_id bigint(20) unsigned null,
    billing_email varchar(320) null,
    date_created_gmt datetime null,
    date_updated_gmt datetime null,
    parent_order_id bigint(20) unsigned null,
    payment_method varchar(100) null,
    payment_method_title text null,
    transaction_id varchar(100) null,
    ip_address varchar(100) null,
    user_agent text null,
    customer_note text null,
    PRIMARY KEY (id),
    KEY status (status),
    KEY date_created (date_created_gmt),
    KEY customer_id_billing_email (customer_id, billing_email(171)),
    KEY billing_email (billing_email(191)),
    KEY type_status_date (type, status, date_created_gmt),
    KEY parent_order_id (parent_order_id),
    KEY date_updated (date_updated_gmt)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
    """CREATE TABLE {p}wc_order_addresses (
    id bigint(20) unsigned auto_increment primary key,
    order_id bigint(20) unsigned NOT NULL,
    address_type varchar(20) null,
    first_name text null,
    last_name text null,
    company text null,
    address_1 text null,
    address_2 text null,
    city text null,
    state text null,
    postcode text null,
    country text null,
    email varchar(320) null,
    phone varchar(100) null,
    KEY order_id (order_id),
    UNIQUE KEY address_type_order_id (address_type, order_id),
    KEY email (email(191)),
    KEY phone (phone)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
    """CREATE TABLE {p}wc_order_operational_data (
    id bigint(20) unsigned auto_increment primary key,
    order_id bigint(20) unsigned NULL,
    created_via varchar(100) NULL,
    woocommerce_version varchar(20) NULL,
    prices_include_tax tinyint(1) NULL,
    coupon_usages_are_counted tinyint(1) NULL,
    download_permission_granted tinyint(1) NULL,
    cart_hash varchar(100) NULL,
    new_order_email_sent tinyint(1) NULL,
    order_key varchar(100) NULL,
    order_stock_reduced tinyint(1) NULL,
    date_paid_gmt datetime NULL,
    date_completed_gmt datetime NULL,
    shipping_tax_amount decimal(26,8) NULL,
    shipping_total_amount decimal(26,8) NULL,
    discount_tax_amount decimal(26,8) NULL,
    discount_total_amount decimal(26,8) NULL,
    recorded_sales tinyint(1) NULL,
    UNIQUE KEY order_id (order_id),
    KEY order_key (order_key)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
]

CARTFLOWS = [
    """CREATE TABLE IF NOT EXISTS {p}cartflows_ca_cart_abandonment (
            id BIGINT(20) NOT NULL AUTO_INCREMENT,
            checkout_id int(11) NOT NULL,
            email VARCHAR(100),
            cart_contents LONGTEXT,
            cart_total DECIMAL(10,2),
            session_id VARCHAR(60) NOT NULL,
            other_fields LONGTEXT,
            order_status ENUM( 'normal','abandoned','completed','lost') NOT NULL DEFAULT 'normal',
            unsubscribed  boolean DEFAULT 0,
            coupon_code VARCHAR(50),
            time DATETIME DEFAULT NULL,
            PRIMARY KEY  (`id`, `session_id`),
            UNIQUE KEY `session_id_UNIQUE` (`session_id`)
        ) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
]

# A shop's table: a CartFlows fork with a `phone` column (column list as in the Spoki fork, §1.6).
FORK_WITH_PHONE = [
    """CREATE TABLE {p}woo_cart_abandonment (
                id BIGINT(20) NOT NULL AUTO_INCREMENT,
                checkout_id int(11),
                order_id int(11),
                email VARCHAR(100),
                phone VARCHAR(100),
                cart_contents LONGTEXT,
                cart_total DECIMAL(10,2),
                session_id VARCHAR(60),
                other_fields LONGTEXT,
                order_status ENUM( 'normal','abandoned','completed','lost') DEFAULT 'normal',
                unsubscribed  boolean DEFAULT 0,
                contacted  boolean DEFAULT 0,
                recontacted  boolean DEFAULT 0,
                coupon_code VARCHAR(50),
                time DATETIME DEFAULT NULL,
                PRIMARY KEY  (`id`),
                UNIQUE KEY `session_id_UNIQUE` (`session_id`)
            ) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci""",
]

ALL_TABLES = WORDPRESS_CORE + FORM_VIBES + ORDER_ITEMS + HPOS + CARTFLOWS + FORK_WITH_PHONE
