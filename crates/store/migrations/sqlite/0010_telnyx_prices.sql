-- Telnyx as a third carrier: its monthly rental per country and type, in micro-dollars,
-- for every country and type the other carriers sell.
INSERT INTO prices (provider, country, number_type, monthly_micros) VALUES
    ('telnyx', 'US', 'local', 1000000), ('telnyx', 'US', 'mobile', 1000000), ('telnyx', 'US', 'toll_free', 2000000),
    ('telnyx', 'CA', 'local', 1000000), ('telnyx', 'CA', 'toll_free', 2000000),
    ('telnyx', 'GB', 'local', 1000000), ('telnyx', 'GB', 'mobile', 1000000), ('telnyx', 'GB', 'toll_free', 2000000),
    ('telnyx', 'IN', 'local', 1150000), ('telnyx', 'IN', 'mobile', 1150000), ('telnyx', 'IN', 'toll_free', 2500000),
    ('telnyx', 'AU', 'local', 2500000), ('telnyx', 'AU', 'mobile', 6000000), ('telnyx', 'AU', 'toll_free', 15000000),
    ('telnyx', 'DE', 'local', 1000000), ('telnyx', 'DE', 'mobile', 2000000), ('telnyx', 'DE', 'toll_free', 17000000),
    ('telnyx', 'FR', 'local', 1000000), ('telnyx', 'IT', 'local', 1000000), ('telnyx', 'ES', 'local', 1000000),
    ('telnyx', 'NL', 'local', 1000000), ('telnyx', 'BE', 'local', 1000000), ('telnyx', 'AT', 'local', 1000000),
    ('telnyx', 'PT', 'local', 1000000);
