using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Lockout.Benchmarks.Baseline;

/// <summary>
/// What ASP.NET Core Identity's lockout does on a password sign-in, written out: find the user, refuse if locked out,
/// verify the password, then write the outcome to the database inside the request. Same contract as Lockout's
/// <c>POST /login</c>, so one load generator drives both.
/// </summary>
internal static class BaselineLoginApi
{
    public const int MaxFailedAttempts = 5;

    /// <summary>Lockout's default is "until an admin unlocks"; a day outlasts any benchmark run.</summary>
    private static readonly TimeSpan LockoutDuration = TimeSpan.FromDays(1);

    public static IEndpointRouteBuilder MapBaselineLoginApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/login", LoginAsync);
        app.MapGet("/stats", (BaselineStats stats) => TypedResults.Ok(stats.Read()));
        app.MapPost("/stats/reset", (BaselineStats stats) =>
        {
            stats.Reset();
            return TypedResults.NoContent();
        });
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, JsonHttpResult<LoginResponse>, BadRequest>> LoginAsync(
        BaselineCredentials request,
        BaselineUserStore users,
        BaselinePasswords passwords,
        BaselineStats stats,
        CancellationToken cancellationToken)
    {
        if (request.Username is not { Length: > 0 } username || request.Password is not { } password)
        {
            return TypedResults.BadRequest();
        }

        var user = await users.FindAsync(username.Normalize().ToUpperInvariant(), cancellationToken);
        if (user is not null && user.IsLockedAt(DateTimeOffset.UtcNow))
        {
            return Answer("locked", StatusCodes.Status423Locked);
        }

        var verified = passwords.Verify(user?.PasswordHash, password);
        stats.PasswordVerified();
        if (user is null)
        {
            return Answer("invalid_credentials", StatusCodes.Status401Unauthorized);
        }

        if (verified)
        {
            if (user.AccessFailedCount > 0)
            {
                await users.ResetFailuresAsync(user.UserId, cancellationToken);
            }

            return TypedResults.Ok(new LoginResponse("success"));
        }

        var decidedAt = Stopwatch.GetTimestamp();
        var failures = await users.RecordFailureAsync(user.UserId, MaxFailedAttempts, DateTimeOffset.UtcNow + LockoutDuration, cancellationToken);
        if (failures == MaxFailedAttempts)
        {
            stats.LockCommitted(decidedAt);
        }

        // Identity answers LockedOut for the failure that locks, and for any that raced past the lock.
        return failures >= MaxFailedAttempts
            ? Answer("locked", StatusCodes.Status423Locked)
            : Answer("invalid_credentials", StatusCodes.Status401Unauthorized);
    }

    private static JsonHttpResult<LoginResponse> Answer(string outcome, int statusCode) =>
        TypedResults.Json(new LoginResponse(outcome), statusCode: statusCode);
}

internal sealed record BaselineCredentials(string? Username, string? Password);

internal sealed record LoginResponse(string Outcome);

/// <summary>Identity's <see cref="PasswordHasher{TUser}"/> (v3) at the run's iteration count, as Lockout uses it.</summary>
internal sealed class BaselinePasswords
{
    private readonly PasswordHasher<object> _hasher;

    // An unknown username is verified against this, as in Lockout, so it costs the same.
    private readonly string _decoyHash;

    public BaselinePasswords(int iterationCount)
    {
        _hasher = Create(iterationCount);
        _decoyHash = _hasher.HashPassword(new object(), RandomNumberGenerator.GetHexString(32));
    }

    public static PasswordHasher<object> Create(int iterationCount) =>
        new(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions { IterationCount = iterationCount }));

    public bool Verify(string? passwordHash, string password) =>
        _hasher.VerifyHashedPassword(new object(), passwordHash ?? _decoyHash, password) != PasswordVerificationResult.Failed
        && passwordHash is not null;
}
