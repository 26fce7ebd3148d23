using Lockout.Api.Apis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lockout.UnitTests.Api;

public sealed class ProblemDetailsExceptionHandlerTests
{
    [Fact]
    public async Task A_command_the_redis_client_cancelled_is_a_503_with_retry_after_not_a_500()
    {
        var (handler, context) = Create();

        Assert.True(await handler.TryHandleAsync(context, new TaskCanceledException("A task was canceled."), CancellationToken.None));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task A_request_the_client_abandoned_is_left_alone()
    {
        var (handler, context) = Create();
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        context.RequestAborted = aborted.Token;

        Assert.False(await handler.TryHandleAsync(context, new TaskCanceledException("A task was canceled."), CancellationToken.None));
    }

    [Fact]
    public async Task The_redis_clients_pipe_exception_on_a_dropped_socket_is_a_503_and_any_other_invalid_operation_a_500()
    {
        var (handler, context) = Create();
        var dropped = Assert.Throws<InvalidOperationException>(StackExchange.Redis.PhysicalConnection.ReadFromPipe);

        Assert.True(await handler.TryHandleAsync(context, dropped, CancellationToken.None));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);

        var (other, otherContext) = Create();
        var unrelated = Assert.Throws<InvalidOperationException>(ThrowUnrelated);
        Assert.False(await other.TryHandleAsync(otherContext, unrelated, CancellationToken.None));
    }

    private static void ThrowUnrelated() => throw new InvalidOperationException("Reading is not allowed after reader was completed.");

    private static (ProblemDetailsExceptionHandler Handler, DefaultHttpContext Context) Create()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        return (new ProblemDetailsExceptionHandler(services.GetRequiredService<IProblemDetailsService>()), context);
    }
}
