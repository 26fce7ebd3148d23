using Lockout.Api.Services;
using Lockout.Events;
using Lockout.Writer.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
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
        ["Lockout:Events:SigningKey"] = "unit-test-event-signing-key-0123456789",
    };

    private const string LongKey = "an-admin-key-of-more-than-32-characters";

    [Theory]
    [InlineData("Lockout:Outbox:BatchSize", "0", "BatchSize")]
    [InlineData("Lockout:Outbox:SweepInterval", "00:00:00", "SweepInterval")]
    [InlineData("Lockout:PasswordHasher:IterationCount", "0", "IterationCount")]
    [InlineData("Lockout:Policy:MaxFailedAttempts", "0", "MaxFailedAttempts")]
    public void The_api_refuses_to_start_with_a_setting_out_of_range(string key, string value, string named)
    {
        using var api = new ServiceFactory<LoginService>(key, value);

        var exception = api.RefusalToStart();

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lockout:Writer:MaxBatchSize", "0", "MaxBatchSize")]
    [InlineData("Lockout:Writer:MinRetryDelay", "00:00:30", "MinRetryDelay")]
    [InlineData("Lockout:Writer:MaxConcurrentBatches", "0", "MaxConcurrentBatches")]
    public void The_writer_refuses_to_start_with_a_setting_out_of_range(string key, string value, string named)
    {
        using var writer = new ServiceFactory<LockoutEventWriter>(key, value);

        var exception = writer.RefusalToStart();

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("only-31-characters-long-0123456")]
    public void The_api_and_the_writer_refuse_to_start_without_an_event_signing_key_of_32_characters(string? key)
    {
        using var api = new ServiceFactory<LoginService>("Lockout:Events:SigningKey", key);
        using var writer = new ServiceFactory<LockoutEventWriter>("Lockout:Events:SigningKey", key);

        Assert.Equal(EventSigningOptions.Requirement, Assert.Single(api.RefusalToStart().Failures));
        Assert.Equal(EventSigningOptions.Requirement, Assert.Single(writer.RefusalToStart().Failures));
    }

    [Theory]
    [InlineData("Lockout:AdminApiKey", "", "Lockout:AdminApiKey is 0 characters long")]
    [InlineData("Lockout:AdminApiKey", "short-admin-key", "Lockout:AdminApiKey is 15 characters long")]
    [InlineData("Lockout:Admin:Operators:carol", "carols-short-key", "Lockout:Admin:Operators:carol is 16 characters long")]
    [InlineData("Lockout:Admin:Operators:carol dee", LongKey, "an operator name must be")]
    public void The_api_refuses_to_start_with_an_admin_key_it_cannot_trust(string key, string value, string saying)
    {
        using var api = new ServiceFactory<LoginService>(key, value);

        var exception = api.RefusalToStart();

        Assert.Contains(saying, Assert.Single(exception.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void The_api_refuses_to_start_when_two_operators_share_a_key()
    {
        using var api = new ServiceFactory<LoginService>("Lockout:Admin:Operators:carol", LongKey, ("Lockout:AdminApiKey", LongKey));

        var exception = api.RefusalToStart();

        Assert.Contains("carol, admin have the same admin key", Assert.Single(exception.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void A_kafka_client_without_bootstrap_servers_stops_the_registration_naming_the_setting()
    {
        var builder = Host.CreateApplicationBuilder();

        var exception = Assert.Throws<InvalidOperationException>(() => builder.AddKafkaProducer<string, byte[]>("kafka"));

        Assert.Contains("ConnectionStrings:<name>", exception.Message, StringComparison.Ordinal);
    }

    private sealed class ServiceFactory<TEntryPoint>(string key, string? value, params (string Key, string Value)[] more) : WebApplicationFactory<TEntryPoint>
        where TEntryPoint : class
    {
        // Not the container's: it outlives the host, which disposes itself when its start fails.
        private readonly FakeLogCollector _log = new();

        /// <summary>Starts the service, which must refuse to, and returns why it did.</summary>
        /// <remarks>
        /// Not the exception the start throws: the service runs its Program on a thread of its own, and when that thread
        /// has already failed and disposed the host, WebApplicationFactory's start throws ObjectDisposedException instead
        /// of the failure (a race, dotnet/aspnetcore#33494; it failed CI once). The host logs its failure either way,
        /// before it disposes itself.
        /// </remarks>
        public OptionsValidationException RefusalToStart()
        {
            Assert.ThrowsAny<Exception>(() => Server);
            return Assert.Single(_log.GetSnapshot().Select(record => record.Exception).OfType<OptionsValidationException>());
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(_log)));
            foreach (var (setting, settingValue) in Unreachable.Append(new(key, value)).Concat(more.Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value))))
            {
                builder.UseSetting(setting, settingValue);
            }
        }
    }
}
