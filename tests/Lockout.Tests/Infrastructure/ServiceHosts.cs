using System.Net.Http.Json;
using Lockout.Api.Services;
using Lockout.Writer.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// A Lockout service hosted in the test process against a <see cref="TestEnvironment"/>'s real Redis, PostgreSQL
/// and broker (HTTP goes through the test server).
/// </summary>
public abstract class LockoutServiceHost<TEntryPoint>(
    IDictionary<string, string?> environmentSettings,
    IDictionary<string, string?>? settings,
    Action<IServiceCollection>? configureServices) : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly Dictionary<string, string?> _settings = environmentSettings
        .Concat(settings ?? new Dictionary<string, string?>())
        .GroupBy(setting => setting.Key)
        .ToDictionary(group => group.Key, group => group.Last().Value);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Development, as under the AppHost (and with it the seed user john).
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }
}

/// <summary>Lockout.Api in the test process.</summary>
public sealed class ApiHost(TestEnvironment environment, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    : LockoutServiceHost<LoginService>(environment.ApiSettings(), settings, configureServices)
{
    public string AdminApiKey { get; } = environment.AdminApiKey;

    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminApiKey);
        return client;
    }

    public async Task CreateUserAsync(string username, string password)
    {
        using var admin = CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/users", new { username, password });
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>Lockout.Writer in the test process.</summary>
public sealed class WriterHost(TestEnvironment environment, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    : LockoutServiceHost<LockoutEventWriter>(environment.WriterSettings(), settings, configureServices)
{
    /// <summary>Builds the host, which starts the consumer.</summary>
    public WriterHost Start()
    {
        _ = Services;
        return this;
    }
}
