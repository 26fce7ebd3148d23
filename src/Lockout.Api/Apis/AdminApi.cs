using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Claims;
using Lockout.Api.Security;
using Lockout.Api.Services;
using Lockout.Api.Telemetry;
using Lockout.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lockout.Api.Apis;

/// <summary>User management and lockout inspection, behind the admin API key.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/users")
            .RequireAuthorization(AdminApiKeyHandler.PolicyName)
            .WithRequestSizeLimit(Credentials.MaxBodyBytes)
            .WithTags("Admin");

        admin.MapPost("/", CreateUserAsync).ProducesValidationProblem();
        admin.MapGet("/{username}/lockout", GetLockoutAsync);
        admin.MapPost("/{username}/unlock", UnlockAsync);
        admin.MapGet("/{username}/events", ListEventsAsync);
        admin.MapGet("/{username}/sources", ListSourceBlocksAsync);
        admin.MapDelete("/{username}/sources/{source}", LiftSourceBlockAsync);

        return app;
    }

    public static async Task<Results<Created<UserCreatedResponse>, ProblemHttpResult>> CreateUserAsync(
        CreateUserRequest request,
        UserRepository users,
        PasswordVerifier passwords,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var normalizedUsername = UsernameNormalizer.Normalize(request.Username);
        var created = await users.TryCreateAsync(request.Username, normalizedUsername, passwords.Hash(request.Password), clock.GetUtcNow(), cancellationToken);
        return created
            ? TypedResults.Created($"/admin/users/{Uri.EscapeDataString(request.Username)}/lockout", new UserCreatedResponse(request.Username))
            : TypedResults.Problem(title: "Username taken", detail: "A user with this username already exists.", statusCode: StatusCodes.Status409Conflict);
    }

    public static async Task<Ok<LockoutStatusResponse>> GetLockoutAsync(
        [ValidUsername] string username,
        GuessBudget budget,
        UserRepository users,
        CancellationToken cancellationToken)
    {
        var normalizedUsername = UsernameNormalizer.Normalize(username);
        var redisState = await budget.ReadAsync(normalizedUsername);
        var row = await users.FindLockStatusAsync(normalizedUsername, cancellationToken);

        return TypedResults.Ok(new LockoutStatusResponse(
            Username: row?.Username ?? username,
            FailedAttempts: redisState.FailedAttempts,
            Locked: redisState.Locked,
            LockedAt: redisState.LockedAt,
            LockedUntil: redisState.LockedUntil,
            DbLockStatus: row?.LockStatus,
            DbLockedAt: Utc(row?.LockedAt),
            DbLockedUntil: Utc(row?.LockedUntil),
            Version: redisState.Version,
            DbVersion: row?.LockVersion));
    }

    public static async Task<Accepted<UnlockResponse>> UnlockAsync(
        [ValidUsername] string username,
        ClaimsPrincipal admin,
        GuessBudget budget,
        LockedAccountCache lockedAccounts,
        LockoutApiMetrics metrics)
    {
        var normalizedUsername = UsernameNormalizer.Normalize(username);
        var version = await budget.UnlockAsync(normalizedUsername, AdminApiKeyHandler.OperatorOf(admin), Activity.Current?.Id);
        lockedAccounts.Forget(normalizedUsername);
        metrics.AccountUnlocked();
        metrics.Decided(LockoutEventType.Unlocked);
        // Accepted: logins work again at once (Redis), the database row follows through Kafka and the writer.
        return TypedResults.Accepted($"/admin/users/{Uri.EscapeDataString(username)}/lockout", new UnlockResponse(username, version));
    }

    public static async Task<Ok<AuditEventResponse[]>> ListEventsAsync(
        [ValidUsername] string username,
        UserRepository users,
        CancellationToken cancellationToken)
    {
        var events = await users.ListEventsAsync(UsernameNormalizer.Normalize(username), cancellationToken);
        return TypedResults.Ok(events.Select(AuditEventResponse.From).ToArray());
    }

    /// <summary>Smart mode: the sources refused for the account now, with their level and end.</summary>
    public static async Task<Ok<SourceBlockResponse[]>> ListSourceBlocksAsync([ValidUsername] string username, GuessBudget budget)
    {
        var blocks = await budget.ReadBlocksAsync(UsernameNormalizer.Normalize(username));
        return TypedResults.Ok(blocks.Select(block => new SourceBlockResponse(block.Source, block.Level, block.BlockedAt, block.BlockedUntil)).ToArray());
    }

    /// <summary>Smart mode: lets a source try the account again (its level starts again); recorded as SOURCE_UNBLOCKED.</summary>
    public static async Task<Results<Accepted, NotFound, ValidationProblem>> LiftSourceBlockAsync(
        [ValidUsername] string username,
        string source,
        ClaimsPrincipal admin,
        GuessBudget budget,
        LockedAccountCache lockedAccounts,
        LockoutApiMetrics metrics)
    {
        if (!ClientSource.TryParse(source, out var parsed))
        {
            return SourceProblem();
        }

        var normalizedUsername = UsernameNormalizer.Normalize(username);
        if (!await budget.LiftBlockAsync(normalizedUsername, parsed, AdminApiKeyHandler.OperatorOf(admin), Activity.Current?.Id))
        {
            return TypedResults.NotFound();
        }

        lockedAccounts.Forget(normalizedUsername, parsed);
        metrics.Decided(LockoutEventType.SourceUnblocked);
        return TypedResults.Accepted($"/admin/users/{Uri.EscapeDataString(username)}/sources");
    }

    internal static ValidationProblem SourceProblem() => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { ["source"] = ["The source must be an IPv4 or IPv6 address (an IPv6 address stands for its /64)."] });

    private static DateTimeOffset? Utc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}

public sealed record CreateUserRequest(
    [property: Required, StringLength(Credentials.MaxUsernameLength), ValidUsername] string Username,
    [property: Required, StringLength(Credentials.MaxPasswordLength, MinimumLength = 1)] string Password);

public sealed record UserCreatedResponse(string Username);

/// <param name="FailedAttempts">From Redis: failures in the current window (at lock time while locked).</param>
/// <param name="Locked">From Redis: whether logins are refused now.</param>
/// <param name="DbLockStatus">From the database: LOCKED, UNLOCKED, or null when there is no such user.</param>
public sealed record LockoutStatusResponse(
    string Username,
    int FailedAttempts,
    bool Locked,
    DateTimeOffset? LockedAt,
    DateTimeOffset? LockedUntil,
    string? DbLockStatus,
    DateTimeOffset? DbLockedAt,
    DateTimeOffset? DbLockedUntil,
    long Version,
    long? DbVersion);

public sealed record UnlockResponse(string Username, long Version);

/// <param name="Source">The client address (IPv4, or IPv6 /64) the decision is about or was caused by.</param>
/// <param name="Level">The level of a temporary lock or block (Smart mode).</param>
/// <param name="Operator">The admin who unlocked or lifted.</param>
public sealed record AuditEventResponse(
    string EventId,
    string Type,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    int Attempts,
    DateTimeOffset? LockedUntil,
    string? TraceId,
    string? Source,
    int? Level,
    string? Operator)
{
    public static AuditEventResponse From(AuditEvent e) => new(
        e.EventId, e.EventType, Utc(e.OccurredAt), Utc(e.RecordedAt), e.Attempts,
        e.LockedUntil is { } until ? Utc(until) : null, e.TraceId, e.Source, e.Level, e.Operator);

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}

/// <param name="BlockedUntil">Null when the block lasts until an admin lifts it.</param>
public sealed record SourceBlockResponse(string Source, int Level, DateTimeOffset BlockedAt, DateTimeOffset? BlockedUntil);
