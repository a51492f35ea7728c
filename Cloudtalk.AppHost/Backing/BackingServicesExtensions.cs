using Cloudtalk.AppHost.Backing.Containers;
using Cloudtalk.AppHost.Backing.Local;

namespace Cloudtalk.AppHost.Backing;

public static class BackingServicesExtensions
{
    public static BackingServices AddBackingServices(this IDistributedApplicationBuilder builder) =>
        BackingModeSelector.Select(builder) switch
        {
            BackingMode.Containers => builder.AddContainerBackingServices(),
            _ when OperatingSystem.IsWindows() => throw new PlatformNotSupportedException(
                "Local backing mode runs the Debian server binaries; on Windows use --backing containers."),
            _ => builder.AddLocalBackingServices(),
        };
}
