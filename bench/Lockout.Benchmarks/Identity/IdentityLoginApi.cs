using Lockout.Benchmarks.Baseline;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Lockout.Benchmarks.Identity;

/// <summary>
/// ASP.NET Core Identity answering Lockout's <c>POST /login</c> contract: find the user with
/// <see cref="UserManager{TUser}.FindByNameAsync"/>, then <see cref="SignInManager{TUser}.CheckPasswordSignInAsync"/>
/// with <c>lockoutOnFailure: true</c>, which refuses a locked-out user, verifies the password and writes the failed
/// count or the lockout to the database (or resets the count after a right password) inside the request.
/// </summary>
internal static class IdentityLoginApi
{
    public static IEndpointRouteBuilder MapIdentityLoginApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/login", LoginAsync);
        app.MapGet("/stats", (string? prefix, IdentityStats stats) => TypedResults.Ok(stats.Read(prefix ?? "")));
        app.MapPost("/stats/reset", (IdentityStats stats) =>
        {
            stats.Reset();
            return TypedResults.NoContent();
        });
        app.MapPost("/seed", SeedAsync);
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, JsonHttpResult<LoginResponse>, BadRequest>> LoginAsync(
        IdentityCredentials request,
        UserManager<IdentityUser> users,
        SignInManager<IdentityUser> signIn,
        CountingPasswordHasher hasher,
        IdentityStats stats)
    {
        if (request.Username is not { Length: > 0 } username || request.Password is not { } password)
        {
            return TypedResults.BadRequest();
        }

        // Identity's own PasswordSignInAsync(userName, …) answers an unknown name Failed without hashing anything.
        var user = await users.FindByNameAsync(username);
        if (user is null)
        {
            return Answer("invalid_credentials", StatusCodes.Status401Unauthorized);
        }

        var result = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return TypedResults.Ok(new LoginResponse("success"));
        }

        if (result.IsLockedOut)
        {
            // LockedOut after a verification means this request's failure locked the account and its UPDATE
            // committed; without one, the user was locked before (refused before verifying).
            if (hasher.VerifiedAt != 0)
            {
                stats.LockCommitted(hasher.VerifiedAt);
            }

            return Answer("locked", StatusCodes.Status423Locked);
        }

        // A wrong password, or a right or wrong one whose failed-count write lost a concurrency race (Identity then
        // answers Failed: the lost increment of aspnetcore issue #7689).
        if (hasher.VerifiedAt != 0)
        {
            stats.AnsweredUnauthorized();
        }

        return Answer("invalid_credentials", StatusCodes.Status401Unauthorized);
    }

    /// <summary>
    /// Creates the accounts through <see cref="UserManager{TUser}.CreateAsync(TUser)"/> (validation, normalization,
    /// security stamp, INSERT), each with the run's precomputed hash: hashing every password at the product's cost
    /// (100,000 accounts × 66 ms) would take hours.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> SeedAsync(IdentitySeedRequest request, IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        var failures = 0;
        await Parallel.ForEachAsync(
            request.Usernames,
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (username, _) =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
                var created = await users.CreateAsync(new IdentityUser(username) { PasswordHash = request.PasswordHash });
                if (!created.Succeeded)
                {
                    Interlocked.Increment(ref failures);
                }
            });

        return failures == 0
            ? TypedResults.NoContent()
            : TypedResults.Problem($"{failures} of {request.Usernames.Count} accounts were not created.");
    }

    private static JsonHttpResult<LoginResponse> Answer(string outcome, int statusCode) =>
        TypedResults.Json(new LoginResponse(outcome), statusCode: statusCode);
}

internal sealed record IdentityCredentials(string? Username, string? Password);

/// <summary>The accounts to create, all with the same stored password hash.</summary>
internal sealed record IdentitySeedRequest(IReadOnlyList<string> Usernames, string PasswordHash);
