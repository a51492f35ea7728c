using Cloudtalk.Rating.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Rating.Infrastructure.EntityConfigurations;

public sealed class ProcessedEventConfiguration : IEntityTypeConfiguration<ProcessedEvent>
{
    public const string TableName = "processed_events";

    public void Configure(EntityTypeBuilder<ProcessedEvent> builder)
    {
        builder.ToTable(TableName);
        builder.HasKey(processed => processed.EventId);
        builder.Property(processed => processed.EventId).HasColumnName("event_id").ValueGeneratedNever();
        builder.Property(processed => processed.EventName).HasColumnName("event_name").HasMaxLength(100);
        builder.Property(processed => processed.ProcessedAt).HasColumnName("processed_at");
    }
}
