namespace Lockout.AppHost.Infrastructure;

/// <summary>Turns the requested <see cref="InfrastructureMode"/> into one that can run here, or says what to install.</summary>
public static class InfrastructureModeSelector
{
    public const string ConfigurationKey = "Infrastructure:Mode";

    /// <param name="requested">The configured mode.</param>
    /// <param name="runtimes">The container runtimes to ask, in order (<see cref="ContainerRuntimeProbe.Candidates"/>).</param>
    /// <param name="runtimeAnswers">Whether a runtime reaches its engine; asked only when the answer matters.</param>
    /// <param name="findToolchain">Finds the local programs, or says which is missing.</param>
    /// <returns>The mode, the local programs (local mode) or the runtime that answered (container mode).</returns>
    public static (InfrastructureMode Mode, LocalToolchain? Toolchain, string? ContainerRuntime) Select(
        InfrastructureMode requested,
        IReadOnlyList<string> runtimes,
        Func<string, bool> runtimeAnswers,
        Func<(LocalToolchain? Toolchain, string? Missing)> findToolchain)
    {
        switch (requested)
        {
            case InfrastructureMode.Containers:
                return ContainerRuntimeProbe.FindAnswering(runtimes, runtimeAnswers) is { } runtime
                    ? (InfrastructureMode.Containers, null, runtime)
                    : throw new InfrastructureUnavailableException(
                        $"Infrastructure:Mode is 'containers' but no container runtime answers ({string.Join(" and ", runtimes.Select(name => $"'{name} info'"))} failed): start Docker or Podman, or run with Infrastructure:Mode=local.");

            case InfrastructureMode.Local:
                var (toolchain, missing) = findToolchain();
                return toolchain is not null
                    ? (InfrastructureMode.Local, toolchain, null)
                    : throw new InfrastructureUnavailableException(
                        $"Infrastructure:Mode is 'local' but {missing} was not found: {LocalToolchain.InstallHint}.");

            default:
                if (ContainerRuntimeProbe.FindAnswering(runtimes, runtimeAnswers) is { } answering)
                {
                    return (InfrastructureMode.Containers, null, answering);
                }

                var (localToolchain, _) = findToolchain();
                return localToolchain is not null
                    ? (InfrastructureMode.Local, localToolchain, null)
                    : throw new InfrastructureUnavailableException(
                        $"Lockout needs Redis, PostgreSQL and Kafka, and neither a container runtime answers nor are the local programs installed: start Docker or Podman, or {LocalToolchain.InstallHint}.");
        }
    }

    public static InfrastructureMode Parse(string? configured) => configured?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => InfrastructureMode.Auto,
        "containers" or "container" => InfrastructureMode.Containers,
        "local" => InfrastructureMode.Local,
        _ => throw new InfrastructureUnavailableException($"Infrastructure:Mode '{configured}' is not one of auto, containers or local."),
    };
}
