using System.ComponentModel.DataAnnotations;
using Lockout.Api.Clients;
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
            .WithRequestSizeLimit(Credentials.MaxBodyBytes)
            .ProducesValidationProblem();

        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, JsonHttpResult<LoginResponse>, ProblemHttpResult>> LoginAsync(
        LoginRequest request,
        LoginService logins,
        ClientIdentity clients,
        TimeProvider clock,
        HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        var (outcome, retryAt) = await logins.LoginAsync(request.Username, request.Password, clients.Of(httpContext), cancellationToken);
        var now = clock.GetUtcNow();
        if (retryAt is { } end && end > now)
        {
            // When trying again makes sense: whole seconds, rounded up so the lock or throttle has ended by then.
            var seconds = (long)Math.Ceiling((end - now).TotalSeconds);
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var response = new LoginResponse(LockoutApiMetrics.OutcomeName(outcome));
        return outcome switch
        {
            LoginOutcome.Success => TypedResults.Ok(response),
            LoginOutcome.InvalidCredentials => TypedResults.Json(response, statusCode: StatusCodes.Status401Unauthorized),
            LoginOutcome.Throttled => TypedResults.Problem(
                title: "Too many failed logins from this address.",
                detail: "Try again after the time in Retry-After.",
                statusCode: StatusCodes.Status429TooManyRequests),
            _ => TypedResults.Json(response, statusCode: StatusCodes.Status423Locked),
        };
    }
}

public sealed record LoginRequest(
    [property: Required, StringLength(Credentials.MaxUsernameLength), ValidUsername] string Username,
    [property: Required, StringLength(Credentials.MaxPasswordLength)] string Password);

public sealed record LoginResponse(string Outcome);
