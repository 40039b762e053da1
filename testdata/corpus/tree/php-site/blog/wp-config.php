<?php
/**
 * The base configuration for WordPress
 */

// ** Database settings ** //
define( 'DB_NAME', 'acme_blog' );
define( 'DB_USER', 'blog_wp' );
define( 'DB_PASSWORD', 'Ax_mV0U9-2k=q@7^@gusY?nIMQ?' );
define( 'DB_HOST', 'blog-db.internal.acme-corp.net' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

/**#@+
 * Authentication unique keys and salts.
 */
define( 'AUTH_KEY',         '}Bg&-*Wh=A+_j!t6l-L32N*^06nOpT[0Sl+T5&f-L:CXU{n32D0HGxChNthE1rhi' );
define( 'SECURE_AUTH_KEY',  ',ZKp/L<qSY=HJ)UQp&8-bv?o[R{xOE+I&SS6*}Z)lPA6~*7,J(cHAnwJU@sxAzX{' );
define( 'LOGGED_IN_KEY',    '7p:4_mC0Mei7J-JqmPSdB~l.!fASh[^8gp?V#1B<|:HeY@GAXSN;-YbGGh(I{JXO' );
define( 'NONCE_KEY',        ':>1[hO0Gi@Ep.,.*ueag_)GXJ05W#q.>c-NAW5InlIHu,tEF,D)0onPVn?2;RyI5' );
define( 'AUTH_SALT',        '>d,(!UvUrm+{yr]0Lv[<uW8YdrIJ^CP;t%y%n{<KQmBSt56-hlab2QlTs,L0#8@Y' );
define( 'SECURE_AUTH_SALT', ';(w>O[Y9AfkGps+|f>!n+g+iCD4aRN3Zj8kr)Wr^(1sueQANF70<-IzbzDRh]0Hn' );
define( 'LOGGED_IN_SALT',   ')gew|{[sie@cB>LufTq%3MX!F2_;{TzYs,ZI^Cg>)hQX/;#:CaHGP5YS8_74KY0&' );
define( 'NONCE_SALT',       '{ir!Vjy+Ps+mN/rQX@TLBeGBDk=mZ%G<Fra{%CGt!4x5R7}Mkn?.a%OWc66VRgdR' );
/**#@-*/

$table_prefix = 'wp_';

define( 'WP_DEBUG', false );
define( 'WP_REDIS_PASSWORD', 'FTFEbE%2Gej1v2HS' );
define( 'WPMS_SMTP_PASS', '87690c7813f0c4875aeaae0aafe50727-30d30f39-cb3eaae5' );

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
