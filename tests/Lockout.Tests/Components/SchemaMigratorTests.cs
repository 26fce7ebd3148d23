using Dapper;
using Lockout.Database;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lockout.Tests.Components;

public sealed class SchemaMigratorTests(LocalInfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_migration_leaves_no_advisory_lock_behind_for_the_next_writer_to_wait_on()
    {
        await using var environment = await infrastructure.CreateEnvironmentAsync();

        await SchemaMigrator.MigrateAsync(environment.DatabaseLogins.Owner, NullLogger.Instance);

        await using var connection = await environment.Database.OpenConnectionAsync();
        var advisoryLocks = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        Assert.Equal(0, advisoryLocks);
    }
}
