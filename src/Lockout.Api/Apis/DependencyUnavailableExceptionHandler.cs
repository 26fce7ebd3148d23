using Microsoft.AspNetCore.Diagnostics;

namespace Lockout.Api.Apis;

/// <summary>
/// Answers 503 with ProblemDetails when Redis or PostgreSQL cannot be reached: the request may succeed if retried,
/// and the attempt was not counted (its reservation was given back).
/// </summary>
public sealed class DependencyUnavailableExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (StackExchange.Redis.RedisException or Npgsql.NpgsqlException or TimeoutException))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Temporarily unavailable.",
                Detail = "A data store Lockout depends on did not answer; retry shortly.",
            },
        });
    }
}
