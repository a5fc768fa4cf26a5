//! `alumni-match keys`: issue, revoke and list API keys in the key file.

use super::{CliError, KeysCommand};
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
        KeysCommand::List { file } => {
            let key_file = file.key_file()?;
            println!(
                "{:<16}  {:<20}  {:<8}  {:<25}  {:<25}  label",
                "id", "tenant", "role", "created", "revoked"
            );
            for record in key_file.records()? {
                println!(
                    "{:<16}  {:<20}  {:<8}  {:<25}  {:<25}  {}",
                    record.id,
                    record.tenant,
                    record.role.name(),
                    record.created_at,
                    record.revoked_at.as_deref().unwrap_or("-"),
                    record.label
                );
            }
        }
    }
    Ok(())
}
