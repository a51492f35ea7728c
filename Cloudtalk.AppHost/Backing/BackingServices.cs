namespace Cloudtalk.AppHost.Backing;

/// <summary>
/// The connection-string resources the services reference. Their names are the same in every mode,
/// so a service cannot tell whether it talks to a container or to a locally installed server.
/// </summary>
public sealed record BackingServices(
    IResourceBuilder<IResourceWithConnectionString> ApiDatabase,
    IResourceBuilder<IResourceWithConnectionString> RatingDatabase,
    IResourceBuilder<IResourceWithConnectionString> Messaging,
    IResourceBuilder<IResourceWithConnectionString> Cache)
{
    public const string ApiDatabaseName = "apidb";
    public const string RatingDatabaseName = "ratingdb";
    public const string MessagingName = "messaging";
    public const string CacheName = "cache";
}
