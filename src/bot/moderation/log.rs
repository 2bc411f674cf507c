//! Cases: recorded under the server's next number and posted to the log
//! channel as an embed (edited when a reason is corrected). The work is the
//! scheduler's too (a ban lifted when its time is up is a case), so it lives
//! in [`crate::scheduler::moderation`].

use super::super::{Data, Error};
use crate::domain::GuildId;
use crate::domain::moderation::Case;
use crate::store::NewCase;

/// Records a case and posts it to the log channel (if the server has one).
pub async fn record(data: &Data, guild: GuildId, case: NewCase) -> Result<Case, Error> {
    record_about(data, guild, case, false).await
}

/// Records a case about a member; one about a facilitator or an admin
/// (`staff`) is kept for admins and not posted in the log channel, which
/// facilitators read.
pub async fn record_about(
    data: &Data,
    guild: GuildId,
    case: NewCase,
    staff: bool,
) -> Result<Case, Error> {
    Ok(
        crate::scheduler::moderation::record_case(&data.db, &data.rest, guild, case, None, !staff)
            .await?,
    )
}

/// What the reply adds when a case was kept out of the log channel.
pub fn staff_note(staff: bool) -> &'static str {
    if staff {
        " It is about someone who helps run the group, so it was not posted in the log channel: admins see it in `/mod history`."
    } else {
        ""
    }
}

/// Edits a case's embed in the log channel after its reason changed.
pub async fn update(data: &Data, guild: GuildId, case: &Case) {
    crate::scheduler::moderation::update_case(&data.db, &data.rest, guild, case).await;
}
