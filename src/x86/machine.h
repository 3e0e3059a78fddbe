/* The x86 machine's private state, shared by the files in src/x86/. */
#ifndef MR_X86_MACHINE_H
#define MR_X86_MACHINE_H

#include <linux/kvm.h>
#include <pthread.h>

#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/status_port.h"
#include "devices/uart16550.h"
#include "devices/virtio_9p.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_mmio.h"
#include "src/cli.h"
#include "src/vm.h"

#define PC_MAX_VIRTIO 8  /* one I/O APIC pin each, 16-23 */
/* The virtio-console ports of a program's stdout and stderr. */
#define PC_STDIN_PORT  "microrun.stdin"
#define PC_STDOUT_PORT "microrun.stdout"
#define PC_STDERR_PORT "microrun.stderr"

/* A virtio-mmio device: its window, its pin, its own lock (its requests
 * run while it is held), and the thread that serves its queues. */
struct pc_virtio {
	struct arch_vm *machine;
	pthread_mutex_t lock;
	uint64_t base;
	unsigned gsi;
	int notify_fd[VIRTIO_MAX_QUEUES];  /* ioeventfds of QueueNotify, by queue */
	int irq_fd;                        /* irqfd of the pin */
	pthread_t io_thread;
	bool io_running;
	struct virtio_mmio transport;
	union {                 /* the device model: transport.dev_ops says which */
		struct virtio_blk blk;
		struct virtio_console con;
		struct virtio_9p *p9;   /* a --9p export */
	};
};

/* A byte-register device on the port bus, reached under the machine lock. */
struct pc_port {
	struct arch_vm *machine;
	uint8_t (*read)(struct arch_vm *a, unsigned reg);
	void (*write)(struct arch_vm *a, unsigned reg, uint8_t value);
};

struct arch_vm {
	struct vm *vm;
	pthread_mutex_t lock;     /* serialises the devices below */
	struct ioapic ioapic;
	struct uart16550 uart;
	struct i8042 kbc;
	struct cmos_rtc rtc;
	struct status_port status;
	struct pc_port kbc_port, rtc_port, sleep_port;
	struct pc_virtio virtio[PC_MAX_VIRTIO];
	unsigned nvirtio;
	int io_stop_fd;           /* eventfd: readable once the device threads must end */
	struct pc_virtio *hvc;    /* the virtio console, if any */
	bool hvc_is_console;      /* hvc0 is /dev/console (console=hvc0 last) */
	struct console *hvc_out;  /* where hvc0's output goes */
	int stdin_port;           /* the console port stdin goes to; -1: the UART */
	bool hvc_written;         /* the guest wrote to hvc0 (under its lock) */
	struct kvm_cpuid2 *cpuid;
	uint32_t tsc_khz;
};

/* The devices of the PC this machine is: I/O APIC, COM1, i8042, RTC,
 * the exit-status port. */
int pc_devices_init(struct vm *vm, struct arch_vm *a) __attribute__((warn_unused_result));
/* Before any virtio device is added. */
int pc_virtio_init(struct arch_vm *a) __attribute__((warn_unused_result));
/* Opens the disks and puts each behind a virtio-mmio window. */
int pc_virtio_add_disks(struct vm *vm, struct arch_vm *a, const struct mr_disk *disks, unsigned n)
	__attribute__((warn_unused_result));
/* `cmdline` with the devices listed for Linux's virtio_mmio.device=, when
 * it says acpi=off; as it is otherwise. malloc'd; NULL if out of memory. */
char *pc_virtio_cmdline(const struct arch_vm *a, const char *cmdline);
/* Puts each --9p export behind a virtio-mmio window. */
int pc_virtio_add_shares(struct vm *vm, struct arch_vm *a, const struct mr_share *shares,
			 unsigned n) __attribute__((warn_unused_result));
/* The virtio console, if the command line names an hvc console or the
 * run needs its ports. */
int pc_virtio_add_console(struct vm *vm, struct arch_vm *a, const struct vm_params *p)
	__attribute__((warn_unused_result));
/* Host input for console port `id`: how much of it the guest's posted
 * buffers took. */
size_t pc_virtio_console_input(struct arch_vm *a, unsigned id, const uint8_t *buf, size_t len);
/* The host's input for port `id` ended. */
void pc_virtio_console_input_end(struct arch_vm *a, unsigned id);
/* Stops the device threads and closes what the devices hold. */
void pc_virtio_destroy(struct arch_vm *a);
/* ACPI tables describing this machine, at ACPI_TABLES_ADDR. */
int pc_write_acpi(struct vm *vm, struct arch_vm *a) __attribute__((warn_unused_result));

/* The guest's console can take host input again. */
void pc_wake_input(struct vm *vm);

/* A local APIC acknowledged a level-triggered `vector`. */
void pc_devices_eoi(struct arch_vm *a, uint8_t vector);

#endif
