using System.Diagnostics;

namespace Cloudtalk.AppHost.Backing;

/// <summary>Where PostgreSQL, RabbitMQ and Redis come from.</summary>
public enum BackingMode
{
    /// <summary>The standard Aspire container resources (needs a container runtime).</summary>
    Containers,

    /// <summary>The servers installed on this machine, run as Aspire executable resources.</summary>
    Local,
}

public static class BackingModeSelector
{
    /// <summary>
    /// Reads the <c>Backing</c> setting (<c>--backing containers|local|auto</c>, or the <c>Backing</c> environment variable).
    /// Publish mode always uses containers, so the manifest stays deployable.
    /// </summary>
    public static BackingMode Select(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return BackingMode.Containers;
        }

        var setting = builder.Configuration["Backing"] ?? "auto";
        return setting.Trim().ToLowerInvariant() switch
        {
            "containers" or "container" => BackingMode.Containers,
            "local" => BackingMode.Local,
            "auto" or "" => ContainerRuntimeAnswers() ? BackingMode.Containers : BackingMode.Local,
            _ => throw new InvalidOperationException(
                $"Unknown Backing setting '{setting}'. Use containers, local or auto."),
        };
    }

    /// <summary>True when <c>docker info</c> reaches a running engine within a few seconds.</summary>
    private static bool ContainerRuntimeAnswers()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (docker is null)
            {
                return false;
            }

            if (!docker.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                docker.Kill(entireProcessTree: true);
                return false;
            }

            return docker.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No docker client at all.
            return false;
        }
    }
}
