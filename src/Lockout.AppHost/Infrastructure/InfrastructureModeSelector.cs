namespace Lockout.AppHost.Infrastructure;

/// <summary>Turns the requested <see cref="InfrastructureMode"/> into one that can run here, or says what to install.</summary>
public static class InfrastructureModeSelector
{
    public const string ConfigurationKey = "Infrastructure:Mode";

    /// <param name="requested">The configured mode.</param>
    /// <param name="containerRuntimeAnswers">Asked only when the answer matters.</param>
    /// <param name="findToolchain">Finds the local programs, or says which is missing.</param>
    public static (InfrastructureMode Mode, LocalToolchain? Toolchain) Select(
        InfrastructureMode requested,
        Func<bool> containerRuntimeAnswers,
        Func<(LocalToolchain? Toolchain, string? Missing)> findToolchain)
    {
        switch (requested)
        {
            case InfrastructureMode.Containers:
                return containerRuntimeAnswers()
                    ? (InfrastructureMode.Containers, null)
                    : throw new InfrastructureUnavailableException(
                        $"Infrastructure:Mode is 'containers' but no container runtime answers ('{ContainerRuntimeProbe.RuntimeName} info' failed): start Docker or Podman, or run with Infrastructure:Mode=local.");

            case InfrastructureMode.Local:
                var (toolchain, missing) = findToolchain();
                return toolchain is not null
                    ? (InfrastructureMode.Local, toolchain)
                    : throw new InfrastructureUnavailableException(
                        $"Infrastructure:Mode is 'local' but {missing} was not found: {LocalToolchain.InstallHint}.");

            default:
                if (containerRuntimeAnswers())
                {
                    return (InfrastructureMode.Containers, null);
                }

                var (localToolchain, _) = findToolchain();
                return localToolchain is not null
                    ? (InfrastructureMode.Local, localToolchain)
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
