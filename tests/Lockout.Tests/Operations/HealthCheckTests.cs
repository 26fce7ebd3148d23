using System.Diagnostics;
using System.Net;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.Operations;

// Thread counts are process-wide: other tests' threads must not come and go meanwhile.
[Collection(RunsAloneCollection.Name)]
public sealed class HealthCheckTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private const int Checks = 300;

    [Fact]
    public async Task Hundreds_of_health_checks_leave_the_api_and_the_writer_with_no_more_threads()
    {
        using var api = pipeline.Api.CreateClient();
        using var writer = pipeline.Writer.CreateClient();
        await CheckAsync(api, 20);
        await CheckAsync(writer, 20);
        var before = ThreadCount();

        await CheckAsync(api, Checks);
        await CheckAsync(writer, Checks);

        // Each leaked Kafka admin client held five threads: 600 checks leaked 3,000. The thread pool may add a few.
        var grown = ThreadCount() - before;
        Assert.True(grown < 40, $"The process gained {grown} threads over {2 * Checks} health checks.");
    }

    private static async Task CheckAsync(HttpClient client, int times)
    {
        for (var i = 0; i < times; i++)
        {
            using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static int ThreadCount()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.Threads.Count;
    }
}
