using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Api.Idempotency;

public sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public const string TableName = "idempotency_keys";

    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable(TableName);
        builder.HasKey(record => record.Key);
        builder.Property(record => record.Key).HasMaxLength(IdempotentRequest.MaxKeyLength);
        builder.Property(record => record.RequestPath).HasMaxLength(200);
        // The purge deletes by age.
        builder.HasIndex(record => record.CreatedAt);
    }
}
