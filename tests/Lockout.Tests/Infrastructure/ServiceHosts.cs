using System.Net.Http.Json;
using Lockout.Api.Services;
using Lockout.Writer.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// Lockout.Api hosted in the test process (HTTP through the test server) against a <see cref="TestEnvironment"/>'s
/// real Redis, PostgreSQL and broker.
/// </summary>
public sealed class ApiHost : WebApplicationFactory<LoginService>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;

    public ApiHost(TestEnvironment environment, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        _settings = environment.ServiceSettings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _configureServices = configureServices;
        AdminApiKey = environment.AdminApiKey;
    }

    public string AdminApiKey { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Development, as under the AppHost (and with it the seed user john).
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_configureServices is not null)
        {
            builder.ConfigureTestServices(_configureServices);
        }
    }

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

/// <summary>Lockout.Writer hosted in the test process against a <see cref="TestEnvironment"/>.</summary>
public sealed class WriterHost : WebApplicationFactory<LockoutEventWriter>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;

    public WriterHost(TestEnvironment environment, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        _settings = environment.ServiceSettings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _configureServices = configureServices;
    }

    /// <summary>Builds the host, which starts the consumer.</summary>
    public WriterHost Start()
    {
        _ = Services;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_configureServices is not null)
        {
            builder.ConfigureTestServices(_configureServices);
        }
    }
}
