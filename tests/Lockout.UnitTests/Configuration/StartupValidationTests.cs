using Lockout.Api.Services;
using Lockout.Writer.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Lockout.UnitTests.Configuration;

/// <summary>
/// A setting out of range stops the service while it starts, naming the setting. The connection strings lead to a
/// closed loopback port: the clients that are created before the check fail at once and nothing is needed.
/// </summary>
public sealed class StartupValidationTests
{
    private static readonly Dictionary<string, string?> Unreachable = new()
    {
        ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=100",
        ["ConnectionStrings:kafka"] = "127.0.0.1:1",
        ["ConnectionStrings:lockoutdb"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=none;Database=none",
    };

    [Theory]
    [InlineData("Lockout:Outbox:BatchSize", "0", "BatchSize")]
    [InlineData("Lockout:Outbox:SweepInterval", "00:00:00", "SweepInterval")]
    [InlineData("Lockout:PasswordHasher:IterationCount", "0", "IterationCount")]
    [InlineData("Lockout:Policy:MaxFailedAttempts", "0", "MaxFailedAttempts")]
    public void The_api_refuses_to_start_with_a_setting_out_of_range(string key, string value, string named)
    {
        using var api = new ServiceFactory<LoginService>(key, value);

        var exception = Assert.Throws<OptionsValidationException>(() => api.Server);

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lockout:Writer:MaxBatchSize", "0", "MaxBatchSize")]
    [InlineData("Lockout:Writer:MinRetryDelay", "00:00:30", "MinRetryDelay")]
    public void The_writer_refuses_to_start_with_a_setting_out_of_range(string key, string value, string named)
    {
        using var writer = new ServiceFactory<LockoutEventWriter>(key, value);

        var exception = Assert.Throws<OptionsValidationException>(() => writer.Server);

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kafka_client_without_bootstrap_servers_stops_the_registration_naming_the_setting()
    {
        var builder = Host.CreateApplicationBuilder();

        var exception = Assert.Throws<InvalidOperationException>(() => builder.AddKafkaProducer<string, byte[]>("kafka"));

        Assert.Contains("ConnectionStrings:<name>", exception.Message, StringComparison.Ordinal);
    }

    private sealed class ServiceFactory<TEntryPoint>(string key, string value) : WebApplicationFactory<TEntryPoint>
        where TEntryPoint : class
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (setting, settingValue) in Unreachable.Append(new(key, value)))
            {
                builder.UseSetting(setting, settingValue);
            }
        }
    }
}
