using Lockout.AppHost.Infrastructure;

namespace Lockout.UnitTests.AppHost;

public sealed class ContainerRuntimeProbeTests
{
    [Fact]
    public void A_runtime_whose_client_is_missing_does_not_answer()
    {
        var previous = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        Environment.SetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME", "lockout-no-such-runtime");
        try
        {
            Assert.False(ContainerRuntimeProbe.IsAvailable());
        }
        finally
        {
            Environment.SetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME", previous);
        }
    }
}
