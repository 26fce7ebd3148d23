using System.Net;
using System.Net.Http.Json;
using Dapper;
using Lockout.Api.Security;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.Security;

/// <summary>A pipeline where the operator "carol" has her own admin key (<c>Lockout:Admin:Operators:carol</c>).</summary>
public sealed class OperatorPipelineFixture(LocalInfrastructureFixture infrastructure) : PipelineFixture(infrastructure)
{
    public string CarolsKey { get; } = $"carols-admin-key-{Guid.NewGuid():N}";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Lockout:PasswordHasher:IterationCount"] = "1000",
        ["Lockout:Admin:Operators:carol"] = CarolsKey,
    };
}

public sealed class AdminOperatorTests(OperatorPipelineFixture pipeline) : IClassFixture<OperatorPipelineFixture>
{
    private const string Password = "right";

    [Fact]
    public async Task An_unlock_with_carols_key_is_audited_as_carols_and_the_single_key_is_still_the_operator_admin()
    {
        var byCarol = TestEnvironment.NewUsername("carol");
        var byAdmin = TestEnvironment.NewUsername("admin");
        await pipeline.Api.CreateUserAsync(byCarol, Password);
        await pipeline.Api.CreateUserAsync(byAdmin, Password);

        Assert.Equal(HttpStatusCode.Accepted, await UnlockAsync(byCarol, pipeline.CarolsKey));
        Assert.Equal(HttpStatusCode.Accepted, await UnlockAsync(byAdmin, pipeline.Api.AdminApiKey));

        Assert.Equal("carol", await Poll.UntilAsync(() => UnlockOperatorAsync(byCarol), name => name is not null, what: "carol's UNLOCKED row"));
        Assert.Equal("admin", await Poll.UntilAsync(() => UnlockOperatorAsync(byAdmin), name => name is not null, what: "admin's UNLOCKED row"));
    }

    [Fact]
    public async Task A_wrong_key_gets_401_and_unlocks_nothing()
    {
        var username = TestEnvironment.NewUsername("nokey");
        await pipeline.Api.CreateUserAsync(username, Password);

        // Carol's key with one character changed, and one shortened by one.
        var altered = pipeline.CarolsKey[..^1] + (pipeline.CarolsKey[^1] == 'a' ? 'b' : 'a');
        Assert.Equal(HttpStatusCode.Unauthorized, await UnlockAsync(username, altered));
        Assert.Equal(HttpStatusCode.Unauthorized, await UnlockAsync(username, pipeline.CarolsKey[..^1]));

        using var admin = pipeline.Api.CreateAdminClient();
        var state = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(0, state.GetProperty("version").GetInt64()); // no decision was taken
    }

    private async Task<HttpStatusCode> UnlockAsync(string username, string key)
    {
        using var client = pipeline.Api.CreateClient();
        client.DefaultRequestHeaders.Add(AdminApiKeyHandler.HeaderName, key);
        using var response = await client.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null);
        return response.StatusCode;
    }

    /// <summary>The OPERATOR column of the account's UNLOCKED audit row; null while there is none.</summary>
    private async Task<string?> UnlockOperatorAsync(string username)
    {
        await using var connection = await pipeline.Environment.Database.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT OPERATOR FROM LOCKOUT_EVENTS WHERE USERNAME = @u AND EVENT_TYPE = 'UNLOCKED'", new { u = username.ToUpperInvariant() });
    }
}
