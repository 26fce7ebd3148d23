using Dapper;
using Lockout.Database;
using Lockout.Tests.Infrastructure;
using Npgsql;

namespace Lockout.Tests.Security;

/// <summary>
/// Each service's database role may run its own statements and nothing else (migration 0004 and the database
/// manager's set-up), checked on a real PostgreSQL with the logins the services get. That the roles suffice is shown by
/// every other functional test, whose services connect with the same logins.
/// </summary>
public sealed class DatabaseGrantsTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string InsufficientPrivilege = "42501";

    private TestEnvironment _environment = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        await using var admin = await _environment.Database.OpenConnectionAsync();
        await admin.ExecuteAsync(LockoutSql.InsertUser, new { Username = "grant-test", NormalizedUsername = "GRANT-TEST", PasswordHash = "hash", CreatedAt = DateTime.UtcNow });
        await admin.ExecuteAsync("""
            INSERT INTO LOCKOUT_EVENTS (EVENT_ID, USERNAME, EVENT_TYPE, ATTEMPTS, EVENT_VERSION, OCCURRED_AT, RECORDED_AT)
            VALUES ('00000000-0000-0000-0000-000000000001', 'GRANT-TEST', 'LOCKED', 5, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
            """);
    }

    public async ValueTask DisposeAsync() => await _environment.DisposeAsync();

    [Theory]
    [InlineData("UPDATE USERS SET LOCK_STATUS = 'UNLOCKED'")]
    [InlineData("UPDATE USERS SET PASSWORD_HASH = 'x'")]
    [InlineData("DELETE FROM USERS")]
    [InlineData("INSERT INTO LOCKOUT_EVENTS (EVENT_ID, USERNAME, EVENT_TYPE, ATTEMPTS, EVENT_VERSION, OCCURRED_AT, RECORDED_AT) VALUES ('forged', 'GRANT-TEST', 'UNLOCKED', 0, 9, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")]
    [InlineData("UPDATE LOCKOUT_EVENTS SET EVENT_TYPE = 'UNLOCKED'")]
    [InlineData("DELETE FROM LOCKOUT_EVENTS")]
    [InlineData("SELECT PURGE_EXPIRED_EVENTS(CURRENT_TIMESTAMP, 1000)")]
    [InlineData("INSERT INTO USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, LOCK_STATUS, LOCK_VERSION, CREATED_AT, LOCKED_AT) VALUES ('m', 'M', 'h', 'LOCKED', 9, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")]
    [InlineData("CREATE TABLE STOLEN (X INTEGER)")]
    [InlineData("CREATE TEMPORARY TABLE STOLEN (X INTEGER)")]
    [InlineData("ALTER TABLE USERS DROP CONSTRAINT CK_USERS_LOCK_STATUS")]
    [InlineData("DROP TABLE LOCKOUT_EVENTS")]
    public async Task The_apis_login_may_not_write_lock_decisions_audit_rows_or_the_schema(string statement) =>
        await AssertRefusedAsync(_environment.DatabaseLogins.Api, statement);

    [Theory]
    [InlineData("SELECT PASSWORD_HASH FROM USERS")]
    [InlineData("UPDATE USERS SET PASSWORD_HASH = 'x'")]
    [InlineData("UPDATE USERS SET NORMALIZED_USERNAME = 'SOMEONE-ELSE'")]
    [InlineData("INSERT INTO USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, CREATED_AT) VALUES ('m', 'M', 'h', CURRENT_TIMESTAMP)")]
    [InlineData("DELETE FROM USERS")]
    [InlineData("DELETE FROM LOCKOUT_EVENTS")]
    [InlineData("UPDATE LOCKOUT_EVENTS SET EVENT_TYPE = 'UNLOCKED'")]
    [InlineData("SELECT USERNAME, EVENT_TYPE FROM LOCKOUT_EVENTS")]
    [InlineData("CREATE TABLE STOLEN (X INTEGER)")]
    [InlineData("CREATE TEMPORARY TABLE STOLEN (X INTEGER)")]
    [InlineData("ALTER TABLE USERS DROP CONSTRAINT CK_USERS_LOCK_STATUS")]
    [InlineData("ALTER TABLE LOCKOUT_EVENTS ADD COLUMN X INTEGER")]
    [InlineData("DROP TABLE LOCKOUT_EVENTS")]
    [InlineData("DELETE FROM schemaversions")]
    public async Task The_writers_login_may_not_delete_alter_create_or_read_password_hashes(string statement) =>
        await AssertRefusedAsync(_environment.DatabaseLogins.Writer, statement);

    [Fact]
    public async Task The_apis_login_reads_users_and_the_audit_log_and_creates_users()
    {
        await using var connection = new NpgsqlConnection(SchemaMigrator.Unpooled(_environment.DatabaseLogins.Api));
        await connection.OpenAsync();

        var user = await connection.QuerySingleAsync<(string Hash, string Status)>(
            "SELECT PASSWORD_HASH, LOCK_STATUS FROM USERS WHERE NORMALIZED_USERNAME = 'GRANT-TEST'");
        var events = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM LOCKOUT_EVENTS WHERE USERNAME = 'GRANT-TEST'");
        var created = await connection.ExecuteAsync(LockoutSql.InsertUser,
            new { Username = "created", NormalizedUsername = "CREATED", PasswordHash = "hash", CreatedAt = DateTime.UtcNow });

        Assert.Equal(("hash", "UNLOCKED"), user);
        Assert.Equal(1, events);
        Assert.Equal(1, created);
    }

    [Fact]
    public async Task No_login_but_the_roles_may_connect_to_the_database()
    {
        await using var admin = await _environment.Database.OpenConnectionAsync();
        var database = admin.Database;
        var whoMayConnect = (await admin.QueryAsync<string>(
            "SELECT r.rolname FROM pg_roles r WHERE NOT r.rolsuper AND has_database_privilege(r.oid, @database, 'CONNECT') AND r.rolname NOT LIKE 'pg\\_%' ORDER BY 1",
            new { database })).ToList();

        Assert.Equal(DatabaseRoles.All.Order(StringComparer.Ordinal), whoMayConnect);
    }

    private static async Task AssertRefusedAsync(string login, string statement)
    {
        await using var connection = new NpgsqlConnection(SchemaMigrator.Unpooled(login));
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var refusal = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(statement, transaction: transaction));

        Assert.Equal(InsufficientPrivilege, refusal.SqlState);
    }
}
