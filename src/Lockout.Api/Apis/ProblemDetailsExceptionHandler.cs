using Lockout.Api.Redis;
using Lockout.Api.Services;
using Microsoft.AspNetCore.Diagnostics;

namespace Lockout.Api.Apis;

/// <summary>
/// Turns the exceptions a caller can do something about into ProblemDetails with the right status; anything
/// else stays a 500.
/// </summary>
public sealed class ProblemDetailsExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    private static readonly (int Status, string Title, string Detail) StoreUnavailable =
        (StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable.", "A data store Lockout depends on did not answer; retry shortly.");

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            // A body the framework could not bind (malformed JSON, wrong content type): in Development minimal
            // APIs throw for these instead of answering 400 themselves.
            BadHttpRequestException badRequest => (badRequest.StatusCode, "The request could not be read.", badRequest.Message),

            // The attempt was not counted (its reservation was given back), so retrying is safe.
            StackExchange.Redis.RedisException or Npgsql.NpgsqlException or TimeoutException => StoreUnavailable,

            // StackExchange.Redis failing a command with its socket pipe's exception as it drops a dead connection.
            InvalidOperationException when RedisUnavailable.Is(exception) => StoreUnavailable,

            // A cancellation the request did not ask for is a store's client giving up on a command (StackExchange.Redis
            // cancels what it sent on a connection that failed): the same answer.
            OperationCanceledException when !httpContext.RequestAborted.IsCancellationRequested => StoreUnavailable,

            // Kafka has been away long enough for the outbox to fill; the decision was not taken and nothing counted.
            OutboxFullException =>
                (StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable.", "Lock decisions cannot be recorded right now; retry shortly."),

            _ => (0, "", ""),
        };

        if (status == 0)
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
