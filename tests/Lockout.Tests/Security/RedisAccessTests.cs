using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Lockout.Tests.Infrastructure;
using StackExchange.Redis;

namespace Lockout.Tests.Security;

/// <summary>
/// Redis refuses anyone without credentials, and each service's Redis user may run only its own commands on its own
/// keys: checked on the real redis-server the AppHost's local mode starts, with the logins the API gets. That the
/// users suffice is shown by every other functional test, whose API connects with the same logins.
/// </summary>
public sealed class RedisAccessTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestEnvironment _environment = null!;

    public async ValueTask InitializeAsync() => _environment = await infrastructure.CreateEnvironmentAsync();

    public async ValueTask DisposeAsync() => await _environment.DisposeAsync();

    [Theory]
    [InlineData("PING")]
    [InlineData("FLUSHALL")]
    [InlineData("GET lockout:relays")]
    [InlineData("XADD lockout:{b0}:outbox * type UNLOCKED")]
    public async Task A_connection_without_credentials_is_refused(string command)
    {
        var endpoint = ConfigurationOptions.Parse(_environment.RedisConnectionString).EndPoints.Single();
        var (host, port) = endpoint switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw new InvalidOperationException($"Unexpected endpoint {endpoint}."),
        };
        using var client = new TcpClient();
        await client.ConnectAsync(host, port);
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer);

        Assert.StartsWith("-NOAUTH", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHDB")]
    [InlineData("CONFIG", "GET", "requirepass")]
    [InlineData("CONFIG", "SET", "appendonly", "no")]
    [InlineData("KEYS", "*")]
    [InlineData("SCAN", "0")]
    [InlineData("ACL", "LIST")]
    [InlineData("CLIENT", "KILL", "TYPE", "normal")]
    [InlineData("SHUTDOWN")]
    [InlineData("SCRIPT", "FLUSH")]
    [InlineData("MONITOR")]
    [InlineData("SET", "elsewhere", "1")]
    [InlineData("HSET", "elsewhere", "f", "1")]
    [InlineData("EVAL", "return redis.call('HSET', KEYS[1], 'f', '1')", "1", "elsewhere")]
    [InlineData("EVAL", "return redis.call('FLUSHALL')", "0")]
    [InlineData("PUBLISH", "another-channel", "1")]
    public async Task The_apis_user_may_not_flush_configure_list_or_step_outside_lockouts_keys(params string[] command) =>
        await AssertRefusedAsync(_environment.RedisLogins.Api, command);

    [Theory]
    [InlineData("EVAL", "return 1", "0")]
    [InlineData("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0")]
    [InlineData("HGETALL", "lockout:{b1}:acct:ALICE")]
    [InlineData("DEL", "lockout:{b1}:acct:ALICE")]
    [InlineData("XADD", "lockout:{b1}:acct:ALICE}:outbox", "*", "type", "UNLOCKED")]
    [InlineData("XADD", "elsewhere", "*", "type", "UNLOCKED")]
    [InlineData("XADD", "lockout:{b1}:outbox", "*", "type", "UNLOCKED", "username", "ALICE")]
    [InlineData("XRANGE", "lockout:{b1}:outbox:parked", "-", "+")]
    [InlineData("GET", "elsewhere")]
    [InlineData("FLUSHALL")]
    [InlineData("CONFIG", "GET", "requirepass")]
    [InlineData("KEYS", "*")]
    [InlineData("PUBLISH", "lockout:outbox:wake", "0")]
    public async Task The_relays_user_may_not_run_scripts_or_touch_anything_but_the_outbox(params string[] command) =>
        await AssertRefusedAsync(_environment.RedisLogins.Relay, command);

    [Fact]
    public async Task The_relays_user_reads_and_deletes_outbox_entries_and_parks_them()
    {
        var id = await _environment.RedisDatabase.StreamAddAsync("lockout:{b7}:outbox", "type", "LOCKED");
        await using var relay = await ConnectAsync(_environment.RedisLogins.Relay);
        var database = relay.GetDatabase();

        var entries = await database.StreamRangeAsync("lockout:{b7}:outbox");
        var parked = await database.StreamAddAsync("lockout:{b7}:outbox:parked", "type", "LOCKED");
        var deleted = await database.StreamDeleteAsync("lockout:{b7}:outbox", [id]);

        Assert.Equal(id, Assert.Single(entries).Id);
        Assert.False(parked.IsNull);
        Assert.Equal(1, deleted);
        Assert.Equal(1, await _environment.RedisDatabase.StreamLengthAsync("lockout:{b7}:outbox:parked"));
    }

    [Fact]
    public async Task Nothing_the_api_and_its_relay_send_while_an_account_locks_and_is_unlocked_is_refused()
    {
        // A server of this test's own, defined as the AppHost defines Redis: its ACL log holds only what this API sent.
        using var redis = await RedisServerProcess.StartAsync();
        await using var writer = new WriterHost(_environment).Start();
        await using var api = new ApiHost(_environment, redis.ApiSettings());
        var username = TestEnvironment.NewUsername("acl");
        await api.CreateUserAsync(username, "right-password");
        using var client = api.CreateClient();
        using var admin = api.CreateAdminClient();

        Assert.Equal(HttpStatusCode.OK, await LoginAsync(client, username, "right-password"));
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await LoginAsync(client, username, "wrong");
        }

        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "LOCKED", TimeSpan.FromSeconds(30), "the lock to reach USERS");
        using (var unlock = await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, unlock.StatusCode);
        }

        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "UNLOCKED", TimeSpan.FromSeconds(30), "the unlock to reach USERS");
        await using var operatorConnection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var refusals = (RedisResult[])(await operatorConnection.GetDatabase().ExecuteAsync("ACL", "LOG"))!;

        Assert.Empty(refusals.Select(Describe));
    }

    // An ACL log entry as "command by user": its fields come as name, value, name, value…
    private static string Describe(RedisResult entry)
    {
        var fields = (RedisResult[])entry!;
        var values = Enumerable.Range(0, fields.Length / 2).ToDictionary(i => fields[2 * i].ToString(), i => fields[2 * i + 1].ToString());
        return $"{values["reason"]} {values["object"]} by {values["username"]} ({values["context"]})";
    }

    private static async Task<HttpStatusCode> LoginAsync(HttpClient client, string username, string password)
    {
        using var response = await client.PostAsJsonAsync("/login", new { username, password });
        return response.StatusCode;
    }

    private static async Task AssertRefusedAsync(string login, string[] command)
    {
        await using var connection = await ConnectAsync(login);

        var refusal = await Assert.ThrowsAsync<RedisServerException>(() =>
            connection.GetDatabase().ExecuteAsync(command[0], command.Skip(1).Cast<object>().ToArray()));

        // NOPERM at the top level; a script's refused command says so in its own words.
        Assert.Matches("^(NOPERM|ERR The user executing the script can't run this command)", refusal.Message);
    }

    // Admin mode so that StackExchange.Redis itself sends FLUSHALL, CONFIG and KEYS: the refusal must be Redis's.
    private static Task<ConnectionMultiplexer> ConnectAsync(string login) =>
        ConnectionMultiplexer.ConnectAsync($"{login},allowAdmin=true,tiebreaker=,configChannel=");
}
