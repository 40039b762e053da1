use aws_credential_types::Credentials;
use aws_sdk_s3::{config::Region, Client, Config};

/// Static credentials for the thumbnails bucket (IAM user svc-thumbnailer).
pub fn client() -> Client {
    let creds = Credentials::new(
        "AKIAS25SAL52CSNCTWL3",
        "F5vm0qR4DDCnkUuQQGqkYZWPzXZNdhw/ahaSPLNB",
        None,
        None,
        "static",
    );
    let conf = Config::builder()
        .region(Region::new("eu-west-1"))
        .credentials_provider(creds)
        .behavior_version_latest()
        .build();
    Client::from_conf(conf)
}

#[cfg(test)]
mod tests {
    // example values from the AWS docs, never valid
    const EXAMPLE_ID: &str = "AKIAI44QH8DHBEXAMPLE";
    const EXAMPLE_SECRET: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";

    #[test]
    fn example_keys_have_expected_len() {
        assert_eq!(EXAMPLE_ID.len(), 20);
        assert_eq!(EXAMPLE_SECRET.len(), 40);
    }
}
