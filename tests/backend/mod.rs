//! The database a store test runs on: SQLite in the test's temporary
//! directory, or, when `HAVEN_TEST_POSTGRES` names a PostgreSQL server (an
//! admin URL such as `postgres://postgres@127.0.0.1:5432/postgres`), a fresh
//! database of its own there. `.ci/run` runs these suites both ways.
#![allow(dead_code)]

use sqlx::Connection;

/// The test's database URL: the same for the same directory, so a test can
/// close and reopen it.
pub async fn url(dir: &tempfile::TempDir) -> String {
    match std::env::var("HAVEN_TEST_POSTGRES") {
        Ok(admin) if !admin.trim().is_empty() => postgres(admin.trim(), dir).await,
        _ => sqlite_url(dir),
    }
}

/// Always SQLite: for tests about SQLite's own file (its bytes on disk, its
/// catalogue, an older version's schema).
pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("haven.db").display())
}

/// A database on the server named after the temporary directory (unique
/// for the test), created the first time it is asked for.
async fn postgres(admin: &str, dir: &tempfile::TempDir) -> String {
    let name: String = dir
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("test")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let name = format!("haven_{name}");
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("the PostgreSQL server in HAVEN_TEST_POSTGRES answers");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .expect("pg_database readable");
    if !exists {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("a test database can be created");
    }
    conn.close().await.ok();
    match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("HAVEN_TEST_POSTGRES is not a URL: {admin}"),
    }
}

/// Runs one statement on the test's database, whichever it is (to set up
/// rows the store would never write itself).
pub async fn execute(url: &str, sql: &str) -> Result<u64, sqlx::Error> {
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await?;
        Ok(done.rows_affected())
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await?;
        Ok(done.rows_affected())
    }
}

/// One integer from the test's database, whichever it is.
pub async fn scalar(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }
}

/// Byte strings from the test's database, whichever it is.
pub async fn blobs(url: &str, sql: &str) -> Vec<Vec<u8>> {
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }
}

/// Every `table.column` of the test's database holding `id`: as a number or
/// in text (its decimal digits), or in bytes (its eight bytes either way
/// round). The scan of a forget on either database.
pub async fn columns_holding(url: &str, id: u64) -> Vec<String> {
    let columns: Vec<(String, String, String)> = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(
            "SELECT m.name, p.name, lower(p.type) FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    };
    let hex = |bytes: [u8; 8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let (le, be) = (hex(id.to_le_bytes()), hex(id.to_be_bytes()));
    let postgres = url.starts_with("postgres");
    let mut found = Vec::new();
    for (table, column, kind) in columns {
        let bytes = kind.contains("blob") || kind.contains("bytea");
        let test = match (bytes, postgres) {
            (true, true) => format!(
                "position(decode('{le}', 'hex') in \"{column}\") > 0 OR position(decode('{be}', 'hex') in \"{column}\") > 0"
            ),
            (true, false) => {
                format!("instr(\"{column}\", X'{le}') > 0 OR instr(\"{column}\", X'{be}') > 0")
            }
            (false, _) => format!("CAST(\"{column}\" AS TEXT) LIKE '%{id}%'"),
        };
        let n = scalar(
            url,
            &format!("SELECT COUNT(*) FROM \"{table}\" WHERE {test}"),
        )
        .await;
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}
