//! Everything tied to one member, gathered and deleted in one place.

use super::{Db, StoreResult};
use crate::domain::UserId;
use crate::domain::privacy::MemberData;

impl Db {
    /// Everything stored about the member.
    pub async fn member_data(&self, user: UserId) -> StoreResult<MemberData> {
        Ok(MemberData {
            user_id: user,
            timezone: self.member_stored_zone(user).await?,
        })
    }

    /// Deletes every record tied to the member, then checkpoints and truncates
    /// the write-ahead log so that no copy of those records stays on disk
    /// (`secure_delete` has already zeroed the freed space). Returns how many
    /// records were deleted.
    pub async fn forget_member(&self, user: UserId) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query("DELETE FROM member_prefs WHERE user_id = ?")
            .bind(user.as_db())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        self.checkpoint().await?;
        Ok(deleted)
    }
}
