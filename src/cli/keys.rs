//! `alumni-match keys`: issue, revoke and list API keys in the key file.

use super::{
    CliError, KeysCommand,
    output::{Records, one_line, text},
};
use crate::access::TenantId;

pub(super) fn keys(command: KeysCommand) -> Result<(), CliError> {
    match command {
        KeysCommand::Issue {
            tenant,
            role,
            label,
            file,
        } => {
            let tenant = TenantId::parse(&tenant).map_err(crate::access::AccessError::from)?;
            let key_file = file.key_file()?;
            let issued = key_file.issue(tenant, role, &label)?;
            eprintln!(
                "issued key {} ({} of tenant {}) in {}; it is shown only now:",
                issued.record.id,
                role.name(),
                issued.record.tenant,
                key_file.path().display()
            );
            println!("{}", issued.key);
        }
        KeysCommand::Revoke { id, file } => {
            let key_file = file.key_file()?;
            let record = key_file.revoke(&id)?;
            println!(
                "revoked key {} ({} of tenant {}); a running server refuses it within a second",
                record.id,
                record.role.name(),
                record.tenant
            );
        }
        KeysCommand::List { format, file } => {
            let key_file = file.key_file()?;
            let mut records = Records::new(&[
                text("id"),
                text("tenant"),
                text("role"),
                text("created"),
                text("revoked"),
                text("label"),
            ]);
            for record in key_file.records()? {
                records.push(
                    vec![
                        record.id.clone(),
                        record.tenant.to_string(),
                        record.role.name().to_owned(),
                        record.created_at.clone(),
                        record.revoked_at.as_deref().unwrap_or("-").to_owned(),
                        one_line(&record.label),
                    ],
                    serde_json::json!({
                        "id": record.id, "tenant": record.tenant.to_string(), "role": record.role.name(),
                        "created_at": record.created_at, "revoked_at": record.revoked_at,
                        "label": record.label,
                    }),
                );
            }
            records.print(format)?;
        }
    }
    Ok(())
}
