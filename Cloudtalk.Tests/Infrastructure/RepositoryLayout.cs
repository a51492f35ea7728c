namespace Cloudtalk.Tests.Infrastructure;

/// <summary>Where the checked-out repository is, found from the AppHost project the tests reference.</summary>
internal static class RepositoryLayout
{
    /// <summary>The repository root: the folder that holds <c>Cloudtalk.sln</c> and the AppHost folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        var appHost = Projects.Cloudtalk_AppHost.ProjectPath;
        var folder = File.Exists(appHost) ? Path.GetDirectoryName(appHost)! : appHost;
        var root = Path.GetFullPath(Path.Combine(folder, ".."));
        if (!File.Exists(Path.Combine(root, "Cloudtalk.sln")))
        {
            throw new InvalidOperationException($"No Cloudtalk.sln in {root}, the parent of the AppHost folder {folder}.");
        }

        return root;
    }
}
