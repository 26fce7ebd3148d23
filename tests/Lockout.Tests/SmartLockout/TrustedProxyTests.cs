using System.Net;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.SmartLockout;

/// <summary>
/// Outside Development, <c>X-Forwarded-For</c> is believed only from the configured proxies: a client cannot escape its
/// throttle by naming another address.
/// </summary>
public sealed class TrustedProxyTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const int Limit = 5;
    private TestEnvironment _environment = null!;

    public async ValueTask InitializeAsync() => _environment = await infrastructure.CreateEnvironmentAsync();

    public ValueTask DisposeAsync() => _environment.DisposeAsync();

    [Fact]
    public async Task A_forwarded_for_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored()
    {
        await using var api = StartApi(trustedProxy: null);
        using var client = api.CreateClient();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            // Each request claims another address; the connection's (loopback) is the one counted.
            answers.Add(await LoginAsync(client, $"203.0.113.{100 + i}"));
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, Limit), HttpStatusCode.TooManyRequests], answers);
    }

    [Fact]
    public async Task A_forwarded_for_header_from_a_trusted_proxy_names_the_client()
    {
        await using var api = StartApi(trustedProxy: "127.0.0.0/8");
        using var client = api.CreateClient();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            answers.Add(await LoginAsync(client, $"203.0.113.{150 + i}"));
        }

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
    }

    private ApiHost StartApi(string? trustedProxy)
    {
        var settings = new Dictionary<string, string?>
        {
            // Production: loopback is not trusted unless configured.
            ["environment"] = "Production",
            ["Lockout:PasswordHasher:IterationCount"] = "1000",
            ["Lockout:Clients:Throttle:MaxFailures"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (trustedProxy is not null)
        {
            settings["Lockout:Clients:TrustedProxies:0"] = trustedProxy;
        }

        var api = new ApiHost(_environment, settings);
        api.UseKestrel(0);
        api.StartServer();
        return api;
    }

    private static async Task<HttpStatusCode> LoginAsync(HttpClient client, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { username = TestEnvironment.NewUsername("proxy"), password = "wrong" }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
