using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Diagnostics.Metrics;
using Lockout.Api.Telemetry;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lockout.Tests.Pipeline;

public sealed class LoginContractTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private const string Password = "correct horse battery staple";

    private readonly HttpClient _client = pipeline.Api.CreateClient();

    [Fact]
    public async Task Seed_walk_locks_on_the_fifth_failure_records_it_once_and_an_admin_unlock_lets_the_user_in()
    {
        var username = TestEnvironment.NewUsername("walk");
        await pipeline.Api.CreateUserAsync(username, Password);

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_credentials"), await LoginAsync(username, "wrong"));
        }

        Assert.Equal((HttpStatusCode.Locked, "locked"), await LoginAsync(username, "wrong"));
        Assert.Equal((HttpStatusCode.Locked, "locked"), await LoginAsync(username, Password));

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "USERS.LOCK_STATUS = LOCKED");
        var audit = await pipeline.Environment.AuditRowsAsync(username);
        var locked = Assert.Single(audit);
        Assert.Equal(("LOCKED", 5), (locked.EventType, locked.Attempts));

        using var admin = pipeline.Api.CreateAdminClient();
        using (var unlock = await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, unlock.StatusCode);
        }

        Assert.Equal((HttpStatusCode.OK, "success"), await LoginAsync(username, Password));
        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "UNLOCKED", what: "USERS.LOCK_STATUS = UNLOCKED");
        Assert.Equal(["LOCKED", "UNLOCKED"], (await pipeline.Environment.AuditRowsAsync(username)).Select(row => row.EventType));
    }

    [Fact]
    public async Task A_lock_that_reached_the_database_survives_redis_losing_everything()
    {
        var username = TestEnvironment.NewUsername("amnesia");
        await pipeline.Api.CreateUserAsync(username, Password);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await LoginAsync(username, "wrong");
        }

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "the lock in USERS");
        await pipeline.Environment.FlushRedisAsync();

        // Every attempt is refused, and once this instance's one-second memory of the lock has passed, Redis holds
        // the lock again (read from the database), so later attempts are refused without reading the database.
        using var admin = pipeline.Api.CreateAdminClient();
        await Poll.UntilAsync(async () =>
        {
            Assert.Equal((HttpStatusCode.Locked, "locked"), await LoginAsync(username, Password));
            var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
            return state.GetProperty("locked").GetBoolean();
        }, what: "Redis to hold the database's lock again");

        // And the pipeline still works after the loss: an unlock reaches the database.
        using (await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null))
        {
        }

        Assert.Equal((HttpStatusCode.OK, "success"), await LoginAsync(username, Password));
        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "UNLOCKED", what: "the unlock in USERS");
    }

    [Fact]
    public async Task The_seed_user_john_exists_in_development()
    {
        await Poll.UntilAsync(async () => (await LoginAsync("john", "password123")).Status == HttpStatusCode.OK, what: "john to sign in");
    }

    [Fact]
    public async Task A_correct_password_before_the_lock_resets_the_count()
    {
        var username = TestEnvironment.NewUsername("reset");
        await pipeline.Api.CreateUserAsync(username, Password);

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await LoginAsync(username, "wrong");
        }

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(username, Password)).Status);
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(username, "wrong")).Status);
        }
    }

    [Fact]
    public async Task Right_passwords_on_a_clean_account_give_their_slots_back_so_the_whole_budget_remains()
    {
        var username = TestEnvironment.NewUsername("clean");
        await pipeline.Api.CreateUserAsync(username, Password);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal((HttpStatusCode.OK, "success"), await LoginAsync(username, Password));
        }

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_credentials"), await LoginAsync(username, "wrong"));
        }

        Assert.Equal((HttpStatusCode.Locked, "locked"), await LoginAsync(username, "wrong"));
        using var admin = pipeline.Api.CreateAdminClient();
        var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal((5, true), (state.GetProperty("failedAttempts").GetInt32(), state.GetProperty("locked").GetBoolean()));
    }

    [Fact]
    public async Task An_unknown_username_gets_the_same_answers_and_budget_as_a_known_one()
    {
        var known = TestEnvironment.NewUsername("known");
        var unknown = TestEnvironment.NewUsername("nobody");
        await pipeline.Api.CreateUserAsync(known, Password);

        var knownAnswers = new List<(HttpStatusCode, string?)>();
        var unknownAnswers = new List<(HttpStatusCode, string?)>();
        for (var attempt = 1; attempt <= 7; attempt++)
        {
            knownAnswers.Add(await LoginAsync(known, "wrong"));
            unknownAnswers.Add(await LoginAsync(unknown, "wrong"));
        }

        Assert.Equal(knownAnswers, unknownAnswers);
        // The budget runs out the same way: a LOCKED event reaches the audit log for the unknown name too.
        await Poll.UntilAsync(async () => (await pipeline.Environment.AuditRowsAsync(unknown)).Count == 1, what: "the unknown name's audit row");
        Assert.Null(await pipeline.Environment.LockStatusAsync(unknown));
    }

    [Fact]
    public async Task An_unknown_username_costs_exactly_one_verification_against_the_decoy_hash()
    {
        var meters = pipeline.Api.Services.GetRequiredService<IMeterFactory>();
        using var verifications = new MetricCollector<long>(meters, LockoutApiMetrics.MeterName, "lockout.password.verifications");

        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_credentials"), await LoginAsync(TestEnvironment.NewUsername("nobody"), "a guess"));

        Assert.Equal(1, verifications.GetMeasurementSnapshot().Sum(measurement => measurement.Value));
    }

    [Fact]
    public async Task A_password_over_1024_characters_gets_400_with_problem_details_and_is_not_verified()
    {
        var username = TestEnvironment.NewUsername("long");
        await pipeline.Api.CreateUserAsync(username, Password);
        var meters = pipeline.Api.Services.GetRequiredService<IMeterFactory>();
        using var verifications = new MetricCollector<long>(meters, LockoutApiMetrics.MeterName, "lockout.password.verifications");

        using var response = await _client.PostAsJsonAsync("/login", new { username, password = new string('p', 1025) });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Empty(verifications.GetMeasurementSnapshot());
        using var admin = pipeline.Api.CreateAdminClient();
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout")).GetProperty("failedAttempts").GetInt32());
    }

    [Theory]
    [InlineData("{\"username\": \"john\", \"password\": ")]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"username\": \"john\"}")]
    [InlineData("{\"password\": \"x\"}")]
    [InlineData("{\"username\": \"\", \"password\": \"x\"}")]
    [InlineData("{\"username\": \"jo\\u0000hn\", \"password\": \"x\"}")]
    [InlineData("{\"username\": \"jo\\nhn\", \"password\": \"x\"}")]
    [InlineData("[1, 2, 3]")]
    public async Task Malformed_login_bodies_get_400_with_problem_details(string body)
    {
        using var response = await _client.PostAsync(new Uri("/login", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_one_megabyte_username_gets_400_with_problem_details()
    {
        var username = new string('a', 1024 * 1024);

        using var response = await _client.PostAsJsonAsync("/login", new { username, password = "x" });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Credentials_in_the_query_string_are_not_accepted()
    {
        using var response = await _client.GetAsync(new Uri("/login?user=john&password=password123", UriKind.Relative));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Every_response_carries_its_requests_traceparent()
    {
        using var ok = await _client.PostAsJsonAsync("/login", new { username = "x", password = "y" });
        using var bad = await _client.PostAsync(new Uri("/login", UriKind.Relative), new StringContent("{", Encoding.UTF8, "application/json"));

        foreach (var response in new[] { ok, bad })
        {
            var traceParent = Assert.Single(response.Headers.GetValues("traceparent"));
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", traceParent);
        }
    }

    [Theory]
    [InlineData("GET", "/admin/users/john/lockout")]
    [InlineData("GET", "/admin/users/john/events")]
    [InlineData("POST", "/admin/users/john/unlock")]
    [InlineData("POST", "/admin/users")]
    public async Task Admin_endpoints_answer_401_without_the_api_key_or_with_a_wrong_one(string method, string path)
    {
        using var withoutKey = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { username = "a", password = "b" }) });
        var wrong = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { username = "a", password = "b" }) };
        wrong.Headers.Add("X-Api-Key", "not-the-key");
        using var withWrongKey = await _client.SendAsync(wrong);

        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withWrongKey.StatusCode);
    }

    [Fact]
    public async Task A_created_user_can_sign_in_immediately_and_a_second_create_conflicts()
    {
        var username = TestEnvironment.NewUsername("new");
        using var admin = pipeline.Api.CreateAdminClient();

        using var created = await admin.PostAsJsonAsync("/admin/users", new { username, password = Password });
        var login = await LoginAsync(username, Password);
        using var again = await admin.PostAsJsonAsync("/admin/users", new { username, password = Password });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.Status);
        await AssertProblemAsync(again, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_lockout_endpoint_reports_redis_and_database_state()
    {
        var username = TestEnvironment.NewUsername("state");
        await pipeline.Api.CreateUserAsync(username, Password);
        await LoginAsync(username, "wrong");
        await LoginAsync(username, "wrong");
        using var admin = pipeline.Api.CreateAdminClient();

        var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        var nobody = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{TestEnvironment.NewUsername("ghost")}/lockout");

        Assert.Equal(2, state.GetProperty("failedAttempts").GetInt32());
        Assert.False(state.GetProperty("locked").GetBoolean());
        Assert.Equal("UNLOCKED", state.GetProperty("dbLockStatus").GetString());
        Assert.Equal(JsonValueKind.Null, nobody.GetProperty("dbLockStatus").ValueKind);
    }

    /// <summary>The status and the outcome; a ProblemDetails answer (a 503 on a loaded machine, say) has no outcome.</summary>
    private async Task<(HttpStatusCode Status, string? Outcome)> LoginAsync(string username, string password)
    {
        using var response = await _client.PostAsJsonAsync("/login", new { username, password });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.TryGetProperty("outcome", out var outcome) ? outcome.GetString() : null);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
    }
}
