using System.ComponentModel.DataAnnotations;
using Lockout.Api.Services;
using Lockout.Api.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lockout.Api.Apis;

public static class LoginApi
{
    public static IEndpointRouteBuilder MapLoginApi(this IEndpointRouteBuilder app)
    {
        // Only POST: the seed's GET /login?user=&password= put credentials in URLs, and URLs end up in logs.
        app.MapPost("/login", LoginAsync)
            .WithName("Login")
            .WithSummary("Signs a user in, counting failed attempts and locking the account at the limit.")
            .ProducesValidationProblem();

        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, JsonHttpResult<LoginResponse>>> LoginAsync(
        LoginRequest request,
        LoginService logins,
        TimeProvider clock,
        HttpResponse httpResponse,
        CancellationToken cancellationToken)
    {
        var (outcome, lockedUntil) = await logins.LoginAsync(request.Username, request.Password, cancellationToken);
        var now = clock.GetUtcNow();
        if (lockedUntil is { } end && end > now)
        {
            // A timed lock says when trying again makes sense: whole seconds, rounded up so the lock has ended by then.
            var seconds = (long)Math.Ceiling((end - now).TotalSeconds);
            httpResponse.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var response = new LoginResponse(LockoutApiMetrics.OutcomeName(outcome));
        return outcome switch
        {
            LoginOutcome.Success => TypedResults.Ok(response),
            LoginOutcome.InvalidCredentials => TypedResults.Json(response, statusCode: StatusCodes.Status401Unauthorized),
            _ => TypedResults.Json(response, statusCode: StatusCodes.Status423Locked),
        };
    }
}

public sealed record LoginRequest(
    [property: Required, StringLength(Credentials.MaxUsernameLength), NoControlCharacters] string Username,
    [property: Required, StringLength(Credentials.MaxPasswordLength)] string Password);

public sealed record LoginResponse(string Outcome);
