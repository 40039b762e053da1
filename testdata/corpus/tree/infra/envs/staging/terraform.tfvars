environment = "staging"
location    = "westeurope"

tenant_id       = "17765e4b-5f02-4c36-afa3-354fe81340f6"
subscription_id = "e721a826-fc1c-4866-8846-d35836dde6c2"
client_id       = "2fb6ff76-58dc-495d-8231-7a0ac14e8645"
client_secret   = "M0g8Q~yG3ulCYX-pJsMIduEwkDVG.026d69Ydyp_"

storage_account_name = "acmestagingdiag"
storage_account_key  = "TrX8H/F011KSlJAqZPBs7mGJhUsGExuBangohdDB3ORTv/xQdZBpaxqzeFZ24R2XIRJPB1vnvHFLHhNaax5x6g=="

sql_admin_login    = "sqladmin"
sql_admin_password = "G0iob7zBJ~lGs1~F~gDN5EX-"
