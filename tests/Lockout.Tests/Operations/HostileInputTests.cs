using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.Operations;

/// <summary>
/// What a hostile client sends gets 400 or 413 with ProblemDetails, never a 500, through a real Kestrel server (the
/// test server does not enforce body limits).
/// </summary>
public sealed class HostileInputTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestEnvironment _environment = null!;
    private ApiHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        _api = new ApiHost(_environment);
        _api.UseKestrel(0);
        _api.StartServer();
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task A_login_body_over_the_limit_is_refused_with_413_before_it_is_read()
    {
        using var client = _api.CreateClient();
        var body = JsonSerializer.Serialize(new { username = "john", password = new string('x', 64 * 1024) });

        using var response = await client.PostAsync(new Uri("/login", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_chunked_login_body_over_the_limit_is_refused_with_413()
    {
        using var client = _api.CreateClient();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { username = "john", password = new string('x', 64 * 1024) }))));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("jo\uFFFEhn")] // a noncharacter: string.Normalize throws on it
    [InlineData("jo\u0085hn")] // a C1 control character (an unpaired surrogate never arrives: JSON and URL decoding replace it)
    [InlineData("jo\u2028hn")] // a line separator
    [InlineData("jo\u0378hn")] // an unassigned code point
    public async Task A_username_normalization_rejects_gets_400_at_login_and_at_the_admin_routes(string username)
    {
        using var client = _api.CreateClient();
        using var admin = _api.CreateAdminClient();

        using var login = await PostJsonAsync(client, "/login", $"{{\"username\":{Escape(username)},\"password\":\"x\"}}");
        using var create = await PostJsonAsync(admin, "/admin/users", $"{{\"username\":{Escape(username)},\"password\":\"long enough\"}}");
        using var lockout = await admin.GetAsync(new Uri($"/admin/users/{Uri.EscapeDataString(username)}/lockout", UriKind.Relative));
        using var unlock = await admin.PostAsync(new Uri($"/admin/users/{Uri.EscapeDataString(username)}/unlock", UriKind.Relative), null);

        foreach (var response in new[] { login, create, lockout, unlock })
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task A_username_that_grows_past_the_limit_when_normalized_gets_400()
    {
        // U+0958 is excluded from composition: NFC writes it as two code points, so 200 become 400.
        var username = new string('\u0958', 200);
        using var client = _api.CreateClient();

        using var response = await client.PostAsJsonAsync("/login", new { username, password = "x" });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    // The JSON escapes keep lone surrogates intact on the wire (a UTF-8 encoder would replace them).
    private static string Escape(string text) =>
        "\"" + string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString())) + "\"";

    private static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, string json) =>
        client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
    }
}
