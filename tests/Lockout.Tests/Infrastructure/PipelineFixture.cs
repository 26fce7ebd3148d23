using Microsoft.Extensions.DependencyInjection;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// A running Lockout pipeline for one test class: API and writer in the test process, on an isolated
/// <see cref="TestEnvironment"/>.
/// </summary>
public class PipelineFixture(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestEnvironment? _environment;
    private ApiHost? _api;
    private WriterHost? _writer;

    public TestEnvironment Environment => _environment ?? throw new InvalidOperationException("Not initialized.");

    public ApiHost Api => _api ?? throw new InvalidOperationException("Not initialized.");

    public WriterHost Writer => _writer ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>Settings both services get on top of the environment's.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Services the writer gets on top of its own (for instance a log collector).</summary>
    protected virtual void ConfigureWriter(IServiceCollection services)
    {
    }

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        _writer = new WriterHost(_environment, Settings, ConfigureWriter).Start();
        _api = new ApiHost(_environment, Settings);
        _ = _api.Server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        if (_environment is not null)
        {
            await _environment.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
