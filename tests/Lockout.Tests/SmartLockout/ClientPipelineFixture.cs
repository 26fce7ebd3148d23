using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Lockout.Tests.SmartLockout;

/// <summary>
/// An API on a real Kestrel server (so the connection's address is loopback, a trusted proxy in Development, and
/// <c>X-Forwarded-For</c> makes a request come from any documentation-range address) and a writer, with a fake clock
/// the Redis scripts and the writer follow.
/// </summary>
public abstract class ClientPipelineFixture(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    public const string Password = "the right password";

    private HttpClient? _client;
    private HttpClient? _admin;

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public TestEnvironment Environment { get; private set; } = null!;

    public ApiHost Api { get; private set; } = null!;

    public WriterHost Writer { get; private set; } = null!;

    protected abstract IDictionary<string, string?> Settings { get; }

    public async ValueTask InitializeAsync()
    {
        Environment = await infrastructure.CreateEnvironmentAsync();
        var settings = new Dictionary<string, string?>(Settings) { ["Lockout:PasswordHasher:IterationCount"] = "1000" };
        // The writer is on the fake clock too: it refuses versions beyond its clock (plus a skew), and the scripts
        // take theirs from Redis's clock moved by this one.
        Writer = new WriterHost(Environment, settings, services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock))).Start();
        Api = new ApiHost(Environment, settings, services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock)));
        Api.UseKestrel(0);
        Api.StartServer();
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _admin?.Dispose();
        await Api.DisposeAsync();
        await Writer.DisposeAsync();
        await Environment.DisposeAsync();
    }

    /// <summary>A client of the API's Kestrel server, shared (HttpClient is safe to use concurrently).</summary>
    public HttpClient Client => _client ??= Api.CreateClient();

    public HttpClient Admin => _admin ??= Api.CreateAdminClient();

    /// <summary>Signs in as if from <paramref name="source"/>, named in X-Forwarded-For (loopback is a trusted proxy here).</summary>
    public async Task<LoginAnswer> LoginAsync(string username, string password, string source)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = JsonContent.Create(new { username, password }) };
        request.Headers.Add("X-Forwarded-For", source);
        using var response = await Client.SendAsync(request);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        return new LoginAnswer(response.StatusCode, retryAfter);
    }

    public async Task<JsonElement[]> AuditAsync(string username) =>
        await Admin.GetFromJsonAsync<JsonElement[]>($"/admin/users/{username}/events") ?? [];
}

public readonly record struct LoginAnswer(HttpStatusCode Status, TimeSpan? RetryAfter);

/// <summary>The default mode (Account, the seed's rule) with the source throttle at a test-sized limit.</summary>
public sealed class ThrottlePipelineFixture(LocalInfrastructureFixture infrastructure) : ClientPipelineFixture(infrastructure)
{
    public const int MaxFailures = 20;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Lockout:Clients:Throttle:MaxFailures"] = MaxFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lockout:Clients:Throttle:AllowList:0"] = "198.51.100.0/28",
    };
}

/// <summary>Smart mode with test-sized levels and cap.</summary>
public sealed class SmartPipelineFixture(LocalInfrastructureFixture infrastructure) : ClientPipelineFixture(infrastructure)
{
    public const int AccountCap = 30;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Lockout:Policy:Mode"] = "Smart",
        ["Lockout:Policy:Smart:PasswordTagKey"] = "test-password-tag-key-0123456789abcdef",
        ["Lockout:Policy:Smart:AccountCap"] = AccountCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lockout:Policy:Smart:LockLevels:0"] = "00:01:00",
        ["Lockout:Policy:Smart:LockLevels:1"] = "00:05:00",
        ["Lockout:Policy:Smart:LockLevels:2"] = "00:30:00",
        // The throttle is another test's subject: out of the way here.
        ["Lockout:Clients:Throttle:MaxFailures"] = "100000",
    };
}
