// SPDX-License-Identifier: GPL-2.0-only
/* The BPF ELF loader: reads maps, programs, license and relocations from an
 * object in memory (libelf), rewrites CO-RE field accesses from a resolver,
 * creates maps and loads programs with bpf(2). Attach is the caller's job. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include <skbdrop/btf.h>
#include <skbdrop/loader.h>
#include <skbdrop/log.h>
#include "skbdrop_abi.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct map_reloc {
	size_t insn;  /* index of the ld_imm64 */
	int map;      /* index into obj->maps */
};

/* One field relocation from .BTF.ext, decoded at open time. */
struct field_reloc {
	size_t insn;
	__u32 kind;             /* enum bpf_core_relo_kind */
	char struct_name[64];
	char field[128];        /* member name, dotted for nested members */
};

/* A call into a .text function (bpf-to-bpf call). */
struct call_reloc {
	size_t insn;  /* the call instruction in the program */
	int func;     /* index into obj->funcs */
};

/* A function of .text: appended after each program that calls it. Its body
 * can be replaced before load (skbd_obj__set_func: the packet filter). */
struct func {
	char *name;
	size_t start;           /* first instruction in .text */
	struct bpf_insn *insns; /* the body: from .text, or the replacement */
	size_t insn_cnt;
	struct bpf_insn *splice; /* the body to splice in place of its calls (set_func_spliced) */
	size_t splice_cnt;
	int splice_top;          /* it uses the stack only below r10 + splice_top */
	size_t spliced;          /* calls spliced in the programs loaded */
};

struct prog {
	char *section;
	char *name;
	__u32 type;
	struct bpf_insn *insns;
	size_t insn_cnt;
	struct map_reloc *map_relocs;
	size_t nr_map_relocs;
	struct field_reloc *field_relocs;
	size_t nr_field_relocs;
	struct call_reloc *call_relocs;
	size_t nr_call_relocs;
	bool skip; /* autoload off: not loaded, its maps not created for it */
	bool optional; /* a load failure leaves it unloaded (fd -1), not the object */
	int load_err;  /* an optional program's load failure (-errno), 0 */
	__u32 expected_attach_type, attach_btf_id;
	int fd;
};

struct map {
	char *name;
	__u32 offset; /* in the maps section */
	struct skbd_map_def def;
	int fd;
};

struct skbd_obj {
	struct map *maps;
	size_t nr_maps;
	struct func *funcs;
	size_t nr_funcs;
	struct prog *progs;
	size_t nr_progs;
	char license[128];
	bool fields_resolved;
	bool maps_created; /* skbd_obj__create_maps ran */
	bool loaded; /* skbd_obj__load ran: the program set is fixed */
	long failed_map; /* the map whose creation failed the last load, -1: none */
	const struct skbd_sys *sys; /* NULL: the real bpf(2) */
	struct inline_slot {
		struct bpf_insn insns[2];
		__u8 cnt;      /* 0: not set ("r0 = 0") */
		bool optional; /* dropped if the kernel refuses the program */
	} inl[SKBD_INLINE_MAX];
};

/* Program types by section prefix; other executable sections are skipped. */
static const struct {
	const char *prefix;
	__u32 type;
	__u32 expected_attach_type;
} prog_types[] = {
	{ "tracepoint/", BPF_PROG_TYPE_TRACEPOINT, 0 },
	{ "raw_tp/", BPF_PROG_TYPE_RAW_TRACEPOINT, 0 }, /* run by BPF_PROG_TEST_RUN, never attached */
	{ "fentry/", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY }, /* attach_btf_id from skbd_obj__set_attach_btf_id */
};

/* BPF_CORE_* relocation kinds we apply (enum bpf_core_relo_kind). */
enum {
	RELO_FIELD_BYTE_OFFSET = 0,
	RELO_FIELD_BYTE_SIZE = 1,
	RELO_FIELD_EXISTS = 2,
	RELO_FIELD_LSHIFT_U64 = 4,
	RELO_FIELD_RSHIFT_U64 = 5,
};

/* Everything collected while libelf's memory is alive. */
struct elf_ctx {
	Elf *elf;
	size_t shstrndx;
	Elf_Data *symtab;
	size_t nr_syms;
	size_t symtab_idx;
	size_t strtab_idx;
	size_t maps_idx;
	size_t text_idx;
	Elf_Data *text;
	Elf_Data *btf;
	Elf_Data *btf_ext;
	size_t nr_sections;
	int *sec_prog; /* section index -> program index, -1 if none */
};

static const char *sec_name(struct elf_ctx *ec, Elf_Scn *scn, GElf_Shdr *sh)
{
	const char *n;

	if (!gelf_getshdr(scn, sh))
		return NULL;
	n = elf_strptr(ec->elf, ec->shstrndx, sh->sh_name);
	return n;
}

static int get_sym(struct elf_ctx *ec, size_t i, GElf_Sym *sym)
{
	if (i >= ec->nr_syms || !gelf_getsym(ec->symtab, (int)i, sym))
		return -EINVAL;
	return 0;
}

static int add_prog(struct skbd_obj *obj, struct elf_ctx *ec, size_t idx, const char *name,
		    __u32 type, __u32 expected_attach_type, Elf_Data *data)
{
	struct prog *p, *n;

	if (!data || !data->d_buf || data->d_size % sizeof(struct bpf_insn)) {
		skbd_log(SKBD_LOG_WARN, "elf: section %zu '%s': size is not a multiple of 8", idx, name);
		return -EINVAL;
	}
	n = realloc(obj->progs, (obj->nr_progs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	obj->progs = n;
	p = &obj->progs[obj->nr_progs];
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->type = type;
	p->expected_attach_type = expected_attach_type;
	p->section = strdup(name);
	p->insn_cnt = data->d_size / sizeof(struct bpf_insn);
	p->insns = malloc(data->d_size);
	obj->nr_progs++; /* counted now so close() frees a half-built one */
	if (!p->section || !p->insns)
		return -ENOMEM;
	memcpy(p->insns, data->d_buf, data->d_size);
	ec->sec_prog[idx] = (int)(obj->nr_progs - 1);
	return 0;
}

static int collect_sections(struct skbd_obj *obj, struct elf_ctx *ec)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err;

	while ((scn = elf_nextscn(ec->elf, scn))) {
		size_t idx = elf_ndxscn(scn);
		const char *name = sec_name(ec, scn, &sh);
		Elf_Data *data;

		if (!name) {
			skbd_log(SKBD_LOG_WARN, "elf: section %zu: bad header or name", idx);
			return -EINVAL;
		}
		if (sh.sh_type == SHT_NOBITS)
			continue;
		data = elf_getdata(scn, NULL);
		if (sh.sh_type == SHT_SYMTAB) {
			if (ec->symtab) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu: second symbol table", idx);
				return -EINVAL;
			}
			if (!data || sh.sh_entsize != sizeof(Elf64_Sym)) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu '%s': bad sh_entsize", idx, name);
				return -EINVAL;
			}
			ec->symtab = data;
			ec->nr_syms = data->d_size / sizeof(Elf64_Sym);
			ec->symtab_idx = idx;
			ec->strtab_idx = sh.sh_link;
		} else if (!strcmp(name, "maps")) {
			ec->maps_idx = idx;
		} else if (!strcmp(name, "license")) {
			if (!data || !data->d_buf || !data->d_size || data->d_size >= sizeof(obj->license) ||
			    memchr(data->d_buf, '\0', data->d_size) == NULL) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu 'license': not a short NUL-terminated string", idx);
				return -EINVAL;
			}
			memcpy(obj->license, data->d_buf, data->d_size);
		} else if (!strcmp(name, ".text")) {
			if (sh.sh_size && (!data || !data->d_buf || data->d_size % sizeof(struct bpf_insn))) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu '.text': size is not a multiple of 8", idx);
				return -EINVAL;
			}
			ec->text_idx = idx;
			ec->text = data;
		} else if (!strcmp(name, ".BTF")) {
			ec->btf = data;
		} else if (!strcmp(name, ".BTF.ext")) {
			ec->btf_ext = data;
		} else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size) {
			size_t i;

			for (i = 0; i < sizeof(prog_types) / sizeof(prog_types[0]); i++)
				if (!strncmp(name, prog_types[i].prefix, strlen(prog_types[i].prefix)))
					break;
			if (i == sizeof(prog_types) / sizeof(prog_types[0])) {
				skbd_log(SKBD_LOG_DEBUG, "elf: section %zu '%s': not a known program type, skipped", idx, name);
				continue;
			}
			err = add_prog(obj, ec, idx, name, prog_types[i].type, prog_types[i].expected_attach_type, data);
			if (err)
				return err;
		}
	}
	if (!ec->symtab) {
		skbd_log(SKBD_LOG_WARN, "elf: no symbol table");
		return -EINVAL;
	}
	if (!obj->nr_progs) {
		skbd_log(SKBD_LOG_WARN, "elf: no program sections");
		return -EINVAL;
	}
	if (!obj->license[0]) {
		skbd_log(SKBD_LOG_WARN, "elf: no license section");
		return -EINVAL;
	}
	return 0;
}

static int cmp_map_offset(const void *a, const void *b)
{
	const struct map *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Maps are the symbols of the "maps" section, each a struct skbd_map_def. */
static int collect_maps(struct skbd_obj *obj, struct elf_ctx *ec)
{
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Sym sym;

	if (!ec->maps_idx)
		return 0;
	scn = elf_getscn(ec->elf, ec->maps_idx);
	data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!data || !data->d_buf) {
		skbd_log(SKBD_LOG_WARN, "elf: section %zu 'maps': no data", ec->maps_idx);
		return -EINVAL;
	}
	for (size_t i = 0; i < ec->nr_syms; i++) {
		struct map *m, *n;
		const char *name;

		if (get_sym(ec, i, &sym) || sym.st_shndx != ec->maps_idx ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		name = elf_strptr(ec->elf, ec->strtab_idx, sym.st_name);
		if (!name || !name[0]) {
			skbd_log(SKBD_LOG_WARN, "elf: symbol %zu in 'maps': bad name", i);
			return -EINVAL;
		}
		if (sym.st_value % 4 || sym.st_value > data->d_size ||
		    data->d_size - sym.st_value < sizeof(struct skbd_map_def)) {
			skbd_log(SKBD_LOG_WARN, "elf: map '%s': definition at %llu outside 'maps' (%zu bytes)",
				 name, (unsigned long long)sym.st_value, data->d_size);
			return -EINVAL;
		}
		n = realloc(obj->maps, (obj->nr_maps + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		obj->maps = n;
		m = &obj->maps[obj->nr_maps++];
		memset(m, 0, sizeof(*m));
		m->fd = -1;
		m->offset = (__u32)sym.st_value;
		memcpy(&m->def, (const char *)data->d_buf + sym.st_value, sizeof(m->def));
		m->name = strdup(name);
		if (!m->name)
			return -ENOMEM;
	}
	if (obj->nr_maps) /* qsort(NULL, 0, ...) is undefined */
		qsort(obj->maps, obj->nr_maps, sizeof(*obj->maps), cmp_map_offset);
	return 0;
}

/* Program names: the function symbol at offset 0 of each program section. */
static int collect_prog_names(struct skbd_obj *obj, struct elf_ctx *ec)
{
	GElf_Sym sym;

	for (size_t i = 0; i < ec->nr_syms; i++) {
		const char *name;
		int p;

		if (get_sym(ec, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx >= ec->nr_sections || sym.st_value != 0)
			continue;
		p = ec->sec_prog[sym.st_shndx];
		if (p < 0 || obj->progs[p].name)
			continue;
		name = elf_strptr(ec->elf, ec->strtab_idx, sym.st_name);
		if (name && name[0] && !(obj->progs[p].name = strdup(name)))
			return -ENOMEM;
	}
	return 0;
}

/* The functions of .text (static noinline subprograms), with their bodies. */
static int collect_funcs(struct skbd_obj *obj, struct elf_ctx *ec)
{
	size_t text_cnt;
	GElf_Sym sym;

	if (!ec->text_idx || !ec->text || !ec->text->d_size)
		return 0;
	text_cnt = ec->text->d_size / sizeof(struct bpf_insn);
	for (size_t i = 0; i < ec->nr_syms; i++) {
		const char *name;
		struct func *f, *n;

		if (get_sym(ec, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx != ec->text_idx)
			continue;
		name = elf_strptr(ec->elf, ec->strtab_idx, sym.st_name);
		if (!name || !name[0] || sym.st_value % sizeof(struct bpf_insn) || !sym.st_size ||
		    sym.st_size % sizeof(struct bpf_insn) || sym.st_value / 8 > text_cnt ||
		    sym.st_size / 8 > text_cnt - sym.st_value / 8) {
			skbd_log(SKBD_LOG_WARN, "elf: .text symbol %zu: bad name, offset or size", i);
			return -EINVAL;
		}
		n = realloc(obj->funcs, (obj->nr_funcs + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		obj->funcs = n;
		f = &obj->funcs[obj->nr_funcs++];
		memset(f, 0, sizeof(*f));
		f->start = sym.st_value / 8;
		f->insn_cnt = sym.st_size / 8;
		f->name = strdup(name);
		f->insns = malloc(sym.st_size);
		if (!f->name || !f->insns)
			return -ENOMEM;
		memcpy(f->insns, (const struct bpf_insn *)ec->text->d_buf + f->start, sym.st_size);
		for (size_t k = 0; k < f->insn_cnt; k++) {
			if (f->insns[k].code == (BPF_JMP | BPF_CALL) && f->insns[k].src_reg == BPF_PSEUDO_CALL) {
				skbd_log(SKBD_LOG_WARN, "elf: .text function '%s' calls another function: not supported", name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* A bpf-to-bpf call at insn of p to .text (symbol sym): which function. */
static int add_call_reloc(struct skbd_obj *obj, struct prog *p, size_t idx, size_t i, size_t insn,
			  const GElf_Sym *sym)
{
	__s64 target = (__s64)(sym->st_value / 8) + p->insns[insn].imm + 1;
	size_t f;

	for (f = 0; f < obj->nr_funcs; f++)
		if ((__s64)obj->funcs[f].start == target)
			break;
	if (f == obj->nr_funcs) {
		skbd_log(SKBD_LOG_WARN, "elf: section %zu: relocation %zu: call to .text instruction %lld, not a function start",
			 idx, i, (long long)target);
		return -EINVAL;
	}
	p->call_relocs[p->nr_call_relocs++] = (struct call_reloc){ .insn = insn, .func = (int)f };
	return 0;
}

/* .rel<prog section>: ld_imm64 of a map address -> (insn, map); calls into
 * .text -> (insn, function). */
static int collect_map_relocs(struct skbd_obj *obj, struct elf_ctx *ec)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ec->elf, scn))) {
		size_t idx = elf_ndxscn(scn);
		Elf_Data *data;
		struct prog *p;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
			continue;
		if (ec->text_idx && sh.sh_info == ec->text_idx && sh.sh_size) {
			/* map or call relocations inside .text functions are not applied: refuse */
			skbd_log(SKBD_LOG_WARN, "elf: section %zu: relocations in .text functions are not supported", idx);
			return -EINVAL;
		}
		if (sh.sh_info >= ec->nr_sections || ec->sec_prog[sh.sh_info] < 0)
			continue; /* relocations of .BTF, debug info, skipped programs */
		if (sh.sh_entsize != sizeof(Elf64_Rel)) {
			skbd_log(SKBD_LOG_WARN, "elf: section %zu: bad sh_entsize for relocations", idx);
			return -EINVAL;
		}
		data = elf_getdata(scn, NULL);
		if (!data) {
			skbd_log(SKBD_LOG_WARN, "elf: section %zu: bad relocation data: %s", idx, elf_errmsg(-1));
			return -EINVAL;
		}
		p = &obj->progs[ec->sec_prog[sh.sh_info]];
		if (p->map_relocs) { /* the table below is sized for one section */
			skbd_log(SKBD_LOG_WARN, "elf: section %zu: second relocation section for '%s'", idx, p->section);
			return -EINVAL;
		}
		n = data->d_size / sizeof(Elf64_Rel);
		p->map_relocs = calloc(n ? n : 1, sizeof(*p->map_relocs));
		p->call_relocs = calloc(n ? n : 1, sizeof(*p->call_relocs));
		if (!p->map_relocs || !p->call_relocs)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			GElf_Rel rel;
			GElf_Sym sym;
			size_t insn, m;

			if (!gelf_getrel(data, (int)i, &rel) || get_sym(ec, GELF_R_SYM(rel.r_info), &sym)) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu: relocation %zu: bad symbol", idx, i);
				return -EINVAL;
			}
			insn = rel.r_offset / sizeof(struct bpf_insn);
			if (rel.r_offset % sizeof(struct bpf_insn) == 0 && insn < p->insn_cnt && ec->text_idx &&
			    sym.st_shndx == ec->text_idx && p->insns[insn].code == (BPF_JMP | BPF_CALL) &&
			    p->insns[insn].src_reg == BPF_PSEUDO_CALL) {
				int err = add_call_reloc(obj, p, idx, i, insn, &sym);

				if (err)
					return err;
				continue;
			}
			if (rel.r_offset % sizeof(struct bpf_insn) || insn + 1 >= p->insn_cnt ||
			    p->insns[insn].code != (BPF_LD | BPF_IMM | BPF_DW)) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu: relocation %zu at %llu is not on an ld_imm64",
					 idx, i, (unsigned long long)rel.r_offset);
				return -EINVAL;
			}
			if (!ec->maps_idx || sym.st_shndx != ec->maps_idx) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu: relocation %zu refers to section %u, not 'maps' (calls and global data are not supported)",
					 idx, i, sym.st_shndx);
				return -EINVAL;
			}
			for (m = 0; m < obj->nr_maps; m++)
				if (obj->maps[m].offset == sym.st_value + (__u64)p->insns[insn].imm)
					break;
			if (m == obj->nr_maps) {
				skbd_log(SKBD_LOG_WARN, "elf: section %zu: relocation %zu: no map at offset %llu",
					 idx, i, (unsigned long long)sym.st_value);
				return -EINVAL;
			}
			p->map_relocs[p->nr_map_relocs++] = (struct map_reloc){ .insn = insn, .map = (int)m };
		}
	}
	return 0;
}

/* Turn a relocation's access string ("0:4" or "0:1:2") into the root struct's
 * name and the dotted member path. */
static int decode_access(const struct skbd_btf *btf, __u32 type_id, const char *access,
			 struct field_reloc *fr)
{
	const struct btf_type *t;
	const char *s = access;
	char *end;
	__u32 id = skbd_btf__skip_mods(btf, type_id);
	size_t used = 0;
	unsigned long idx;
	int depth = 0;

	t = skbd_btf__type(btf, id);
	if (!t || !skbd_btf__members(t, &(__u32){ 0 }) || !skbd_btf__str(btf, t->name_off)) {
		skbd_log(SKBD_LOG_WARN, "elf: field relocation on type %u, which is not a struct", type_id);
		return -EINVAL;
	}
	snprintf(fr->struct_name, sizeof(fr->struct_name), "%s", skbd_btf__str(btf, t->name_off));
	idx = strtoul(s, &end, 10);
	if (end == s || idx != 0) {
		skbd_log(SKBD_LOG_WARN, "elf: access string '%s' does not start with 0", access);
		return -EINVAL;
	}
	fr->field[0] = '\0';
	for (s = end; *s == ':'; s = end) {
		const struct btf_member *m;
		const char *mname;
		__u32 n = 0;
		int w;

		idx = strtoul(s + 1, &end, 10);
		if (end == s + 1 || depth++ > 8)
			goto bad;
		t = skbd_btf__type(btf, id);
		m = skbd_btf__members(t, &n);
		if (!m || idx >= n)
			goto bad; /* arrays inside the accessed struct are not needed yet */
		mname = skbd_btf__str(btf, m[idx].name_off);
		if (!mname || !mname[0])
			goto bad;
		w = snprintf(fr->field + used, sizeof(fr->field) - used, "%s%s", used ? "." : "", mname);
		if (w < 0 || (size_t)w >= sizeof(fr->field) - used)
			goto bad;
		used += (size_t)w;
		id = skbd_btf__skip_mods(btf, m[idx].type);
	}
	if (*s || !used)
		goto bad;
	return 0;
bad:
	skbd_log(SKBD_LOG_WARN, "elf: bad access string '%s' on struct %s", access, fr->struct_name);
	return -EINVAL;
}

/* .BTF.ext core_relo section: per program section, records of
 * { insn_off, type_id, access_str_off, kind }. */
static int collect_field_relocs(struct skbd_obj *obj, struct elf_ctx *ec)
{
	struct skbd_btf *btf = NULL;
	const __u8 *ext, *p, *end;
	__u32 hdr_len, relo_off, relo_len, rec_size;
	__u16 magic;
	int err;

	if (!ec->btf_ext)
		return 0;
	if (!ec->btf) {
		skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext without .BTF");
		return -EINVAL;
	}
	ext = ec->btf_ext->d_buf;
	if (!ext || ec->btf_ext->d_size < 8) {
		skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: too short");
		return -EINVAL;
	}
	memcpy(&magic, ext, 2); /* the section may sit at any offset of the file */
	memcpy(&hdr_len, ext + 4, 4);
	if (magic != BTF_MAGIC || hdr_len > ec->btf_ext->d_size) {
		skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: bad header");
		return -EINVAL;
	}
	if (hdr_len < 32)
		return 0; /* no core_relo section: nothing to rewrite */
	memcpy(&relo_off, ext + 24, 4);
	memcpy(&relo_len, ext + 28, 4);
	if (!relo_len)
		return 0;
	if ((__u64)hdr_len + relo_off + relo_len > ec->btf_ext->d_size || relo_len < 4) {
		skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: field relocations outside the section");
		return -EINVAL;
	}
	err = skbd_btf__new(ec->btf->d_buf, ec->btf->d_size, &btf);
	if (err)
		return err;
	p = ext + hdr_len + relo_off;
	end = p + relo_len;
	memcpy(&rec_size, p, 4);
	p += 4;
	err = -EINVAL;
	if (rec_size < 16) {
		skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: field relocation record size %u", rec_size);
		goto out;
	}
	while (p < end) {
		__u32 sec_off, num;
		const char *sname;
		struct prog *prog = NULL;

		if (end - p < 8)
			goto truncated;
		memcpy(&sec_off, p, 4);
		memcpy(&num, p + 4, 4);
		p += 8;
		if ((__u64)num * rec_size > (__u64)(end - p))
			goto truncated;
		sname = skbd_btf__str(btf, sec_off);
		for (size_t i = 0; sname && i < obj->nr_progs; i++)
			if (!strcmp(obj->progs[i].section, sname))
				prog = &obj->progs[i];
		if (!prog && sname && !strcmp(sname, ".text") && num) {
			/* not applied to .text functions: refuse rather than load placeholders */
			skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: field relocations in .text functions are not supported");
			goto out;
		}
		if (!prog) { /* relocations of a skipped section */
			p += (size_t)num * rec_size;
			continue;
		}
		if (prog->field_relocs) { /* the table below is sized for one group */
			skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: second field relocation group for %s", prog->section);
			goto out;
		}
		prog->field_relocs = calloc(num ? num : 1, sizeof(*prog->field_relocs));
		if (!prog->field_relocs) {
			err = -ENOMEM;
			goto out;
		}
		for (__u32 i = 0; i < num; i++, p += rec_size) {
			struct field_reloc *fr = &prog->field_relocs[prog->nr_field_relocs];
			__u32 rec[4];
			const char *access;

			memcpy(rec, p, sizeof(rec));
			access = skbd_btf__str(btf, rec[2]);
			if (rec[0] % 8 || rec[0] / 8 >= prog->insn_cnt || !access) {
				skbd_log(SKBD_LOG_WARN, "elf: %s: field relocation %u: bad instruction offset or access string",
					 prog->section, i);
				goto out;
			}
			fr->insn = rec[0] / 8;
			fr->kind = rec[3];
			if (decode_access(btf, rec[1], access, fr))
				goto out;
			prog->nr_field_relocs++;
		}
	}
	err = 0;
	goto out;
truncated:
	skbd_log(SKBD_LOG_WARN, "elf: .BTF.ext: truncated field relocation records");
out:
	skbd_btf__free(btf);
	return err;
}

int skbd_obj__open_mem(const void *buf, size_t size, struct skbd_obj **out)
{
	struct elf_ctx ec = { 0 };
	struct skbd_obj *obj;
	GElf_Ehdr eh;
	void *copy;
	int err = -EINVAL;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	if (!buf || size < sizeof(Elf64_Ehdr)) {
		skbd_log(SKBD_LOG_WARN, "elf: %zu bytes is too short for an ELF header", size);
		return -EINVAL;
	}
	obj = calloc(1, sizeof(*obj));
	copy = malloc(size); /* libelf may want writable memory; keep callers' const */
	if (!obj || !copy) {
		free(copy);
		free(obj);
		return -ENOMEM;
	}
	obj->failed_map = -1;
	memcpy(copy, buf, size);
	ec.elf = elf_memory(copy, size);
	if (!ec.elf || elf_kind(ec.elf) != ELF_K_ELF || !gelf_getehdr(ec.elf, &eh)) {
		skbd_log(SKBD_LOG_WARN, "elf: not an ELF object: %s", elf_errmsg(-1));
		goto err_close;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		skbd_log(SKBD_LOG_WARN, "elf: not a 64-bit relocatable BPF object (machine %u, type %u)",
			 eh.e_machine, eh.e_type);
		goto err_close;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		skbd_log(SKBD_LOG_WARN, "elf: big-endian objects are not supported");
		goto err_close;
	}
	if (elf_getshdrstrndx(ec.elf, &ec.shstrndx) || elf_getshdrnum(ec.elf, &ec.nr_sections) ||
	    !elf_rawdata(elf_getscn(ec.elf, ec.shstrndx), NULL)) {
		skbd_log(SKBD_LOG_WARN, "elf: bad section header table: %s", elf_errmsg(-1));
		goto err_close;
	}
	ec.sec_prog = malloc(ec.nr_sections * sizeof(int));
	if (!ec.sec_prog) {
		err = -ENOMEM;
		goto err_close;
	}
	for (size_t i = 0; i < ec.nr_sections; i++)
		ec.sec_prog[i] = -1;
	err = collect_sections(obj, &ec);
	if (!err)
		err = collect_maps(obj, &ec);
	if (!err)
		err = collect_prog_names(obj, &ec);
	if (!err)
		err = collect_funcs(obj, &ec);
	if (!err)
		err = collect_map_relocs(obj, &ec);
	if (!err)
		err = collect_field_relocs(obj, &ec);
	if (err)
		goto err_close;
	free(ec.sec_prog);
	elf_end(ec.elf);
	free(copy);
	*out = obj;
	return 0;

err_close:
	free(ec.sec_prog);
	if (ec.elf)
		elf_end(ec.elf);
	free(copy);
	skbd_obj__close(obj);
	return err;
}

void skbd_obj__close(struct skbd_obj *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < obj->nr_progs; i++) {
		if (obj->progs[i].fd >= 0)
			close(obj->progs[i].fd);
		free(obj->progs[i].section);
		free(obj->progs[i].name);
		free(obj->progs[i].insns);
		free(obj->progs[i].map_relocs);
		free(obj->progs[i].field_relocs);
		free(obj->progs[i].call_relocs);
	}
	for (size_t i = 0; i < obj->nr_funcs; i++) {
		free(obj->funcs[i].name);
		free(obj->funcs[i].insns);
		free(obj->funcs[i].splice);
	}
	free(obj->funcs);
	for (size_t i = 0; i < obj->nr_maps; i++) {
		if (obj->maps[i].fd >= 0)
			close(obj->maps[i].fd);
		free(obj->maps[i].name);
	}
	free(obj->progs);
	free(obj->maps);
	free(obj);
}

static int ldx_size_code(__u32 bytes)
{
	switch (bytes) {
	case 1: return BPF_B;
	case 2: return BPF_H;
	case 4: return BPF_W;
	case 8: return BPF_DW;
	default: return -1;
	}
}

static int apply_field_reloc(struct prog *p, const struct field_reloc *fr, const struct skbd_field_loc *loc)
{
	struct bpf_insn *insn = &p->insns[fr->insn];
	__u8 cls = BPF_CLASS(insn->code);
	bool is_mov_imm = (cls == BPF_ALU64 || cls == BPF_ALU) && BPF_OP(insn->code) == BPF_MOV &&
			  BPF_SRC(insn->code) == BPF_K;

	switch (fr->kind) {
	case RELO_FIELD_EXISTS:
	case RELO_FIELD_BYTE_SIZE:
		if (!is_mov_imm)
			break;
		insn->imm = fr->kind == RELO_FIELD_EXISTS ? loc->exists : (__s32)loc->size;
		return 0;
	case RELO_FIELD_LSHIFT_U64:
	case RELO_FIELD_RSHIFT_U64:
		/* clang folds the shift amount into the shift: any ALU op with an immediate */
		if ((cls != BPF_ALU64 && cls != BPF_ALU) || BPF_SRC(insn->code) != BPF_K)
			break;
		insn->imm = (__s32)(fr->kind == RELO_FIELD_LSHIFT_U64 ? loc->lshift : loc->rshift);
		return 0;
	case RELO_FIELD_BYTE_OFFSET:
		if (cls == BPF_LDX && BPF_MODE(insn->code) == BPF_MEM && loc->bitfield) {
			skbd_log(SKBD_LOG_WARN, "elf: %s: insn %zu: field %s.%s is a bitfield: it cannot be loaded directly",
				 p->section, fr->insn, fr->struct_name, fr->field);
			return -EINVAL;
		}
		if (cls == BPF_LDX && BPF_MODE(insn->code) == BPF_MEM) {
			int sz;

			if (!loc->exists) {
				/* the kernel has no such field (e.g. reason before 5.17): reading
				 * past the record would make the attach fail with EACCES */
				*insn = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = insn->dst_reg };
				return 0;
			}
			sz = ldx_size_code(loc->size);
			if (sz < 0 || loc->offset > 0x7fff) {
				skbd_log(SKBD_LOG_WARN, "elf: %s: insn %zu: field %s.%s has size %u at %u, not loadable",
					 p->section, fr->insn, fr->struct_name, fr->field, loc->size, loc->offset);
				return -EINVAL;
			}
			insn->off = (__s16)loc->offset;
			insn->code = (__u8)(BPF_LDX | BPF_MEM | sz); /* unsigned fields: width follows the kernel */
			return 0;
		}
		/* the address of a field: "rX += off", or "rX = off" added later */
		if ((cls == BPF_ALU64 && BPF_OP(insn->code) == BPF_ADD && BPF_SRC(insn->code) == BPF_K) || is_mov_imm) {
			/* the address of a field the kernel lacks: offset 0. Programs
			 * guard such reads with a field-exists check, which makes
			 * this instruction dead code the verifier never walks. */
			insn->imm = loc->exists ? (__s32)loc->offset : 0;
			return 0;
		}
		break;
	default:
		skbd_log(SKBD_LOG_WARN, "elf: %s: insn %zu: relocation kind %u is not supported",
			 p->section, fr->insn, fr->kind);
		return -EOPNOTSUPP;
	}
	skbd_log(SKBD_LOG_WARN, "elf: %s: insn %zu: unexpected instruction 0x%02x for relocation kind %u of %s.%s",
		 p->section, fr->insn, insn->code, fr->kind, fr->struct_name, fr->field);
	return -EINVAL;
}

/* A field's answer, shared by its relocations: the first of them and the loc. */
struct field_answer {
	const struct field_reloc *fr; /* NULL: a free slot */
	struct skbd_field_loc loc;
};

static __u32 field_hash(const struct field_reloc *fr)
{
	__u32 h = 2166136261u; /* FNV-1a over "struct.field" */

	for (const char *c = fr->struct_name; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	h = (h ^ '.') * 16777619u;
	for (const char *c = fr->field; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return h;
}

/* The program reads the same fields in many places (878 relocations of about
 * 150 fields in skbdrop's): the resolver is asked once per field, from a
 * table of the answers, open addressing by the names' hash. */
int skbd_obj__resolve_fields(struct skbd_obj *obj, skbd_field_resolve_fn fn, void *ctx)
{
	struct field_answer *tab;
	size_t total = 0, cap = 16;
	int err = 0;

	if (obj->fields_resolved)
		return -EALREADY;
	for (size_t i = 0; i < obj->nr_progs; i++)
		total += obj->progs[i].nr_field_relocs;
	while (cap < 2 * total)
		cap <<= 1;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < obj->nr_progs && !err; i++) {
		struct prog *p = &obj->progs[i];

		for (size_t r = 0; r < p->nr_field_relocs && !err; r++) {
			const struct field_reloc *fr = &p->field_relocs[r];
			size_t k = field_hash(fr) & (cap - 1);

			while (tab[k].fr && (strcmp(tab[k].fr->struct_name, fr->struct_name) ||
					     strcmp(tab[k].fr->field, fr->field)))
				k = (k + 1) & (cap - 1);
			if (!tab[k].fr) {
				err = fn(ctx, fr->struct_name, fr->field, &tab[k].loc);
				if (err) {
					skbd_log(SKBD_LOG_WARN, "elf: %s: no layout for %s.%s: %s", p->section,
						 fr->struct_name, fr->field, strerror(-err));
					break;
				}
				tab[k].fr = fr;
			}
			err = apply_field_reloc(p, fr, &tab[k].loc);
		}
	}
	free(tab);
	if (!err)
		obj->fields_resolved = true;
	return err;
}

size_t skbd_obj__field_structs(const struct skbd_obj *obj, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < obj->nr_progs; i++) {
		for (size_t r = 0; r < obj->progs[i].nr_field_relocs && n < max; r++) {
			const char *s = obj->progs[i].field_relocs[r].struct_name;
			size_t k = 0;

			while (k < n && strcmp(names[k], s))
				k++;
			if (k == n)
				names[n++] = s;
		}
	}
	return n;
}

void skbd_obj__set_sys(struct skbd_obj *obj, const struct skbd_sys *sys)
{
	obj->sys = sys;
}

/* The definition of the map called name, still to be created (so still to
 * be changed): 0 and *def, -ENOENT or -EBUSY (created already). */
static int map_def_to_change(struct skbd_obj *obj, const char *name, struct skbd_map_def **def)
{
	for (size_t i = 0; i < obj->nr_maps; i++) {
		if (!strcmp(obj->maps[i].name, name)) {
			if (obj->maps_created || obj->maps[i].fd >= 0)
				return -EBUSY;
			*def = &obj->maps[i].def;
			return 0;
		}
	}
	return -ENOENT;
}

int skbd_obj__set_max_entries(struct skbd_obj *obj, const char *map, __u32 max_entries)
{
	struct skbd_map_def *def;
	int err = map_def_to_change(obj, map, &def);

	if (!err)
		def->max_entries = max_entries;
	return err;
}

int skbd_obj__set_key_size(struct skbd_obj *obj, const char *map, __u32 key_size)
{
	struct skbd_map_def *def;
	int err = map_def_to_change(obj, map, &def);

	if (err)
		return err;
	if (!key_size || key_size > def->key_size)
		return -EINVAL;
	def->key_size = key_size;
	return 0;
}

/* Log the verifier's output line by line; the end of a long log says why
 * the program was rejected, so only the last 80 lines are kept. */
static void log_verifier(const char *section, char *log)
{
	size_t lines = 0, skip;
	char *line, *save = NULL;

	for (const char *c = log; *c; c++)
		lines += *c == '\n';
	skip = lines > 80 ? lines - 80 : 0;
	skbd_log(SKBD_LOG_VERIFIER, "elf: verifier log for %s%s:", section, skip ? " (last 80 lines)" : "");
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (skip) {
			skip--;
			continue;
		}
		skbd_log(SKBD_LOG_VERIFIER, "  %s", line);
	}
}

/* The slot of a placeholder call (helper number SKBD_INLINE_CALL + slot), or
 * -1 for any other instruction. */
static int placeholder_slot(const struct bpf_insn *in)
{
	if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg != 0 || (__u32)in->imm < SKBD_INLINE_CALL ||
	    (__u32)in->imm >= SKBD_INLINE_CALL + SKBD_INLINE_MAX)
		return -1;
	return (int)((__u32)in->imm - SKBD_INLINE_CALL);
}

/* Rewrite the placeholder calls (skbd_obj__set_inline) in a linked program.
 * 0, or -EINVAL for a two-instruction slot whose call is not preceded by
 * "r2 = imm" (the object was not built for it: logged). */
static int link_inline(const struct skbd_obj *obj, const struct prog *p, struct bpf_insn *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		const struct inline_slot *sl;
		int k = placeholder_slot(&insns[i]);

		if (k < 0)
			continue;
		sl = &obj->inl[k];
		if (sl->cnt == 2) {
			if (!i || insns[i - 1].code != (BPF_ALU64 | BPF_MOV | BPF_K) || insns[i - 1].dst_reg != BPF_REG_2) {
				skbd_log(SKBD_LOG_WARN, "elf: %s: insn %zu: placeholder call %d without \"r2 = imm\" before it",
					 p->section, i, k);
				return -EINVAL;
			}
			insns[i - 1] = sl->insns[0];
			insns[i] = sl->insns[1];
		} else if (sl->cnt == 1) {
			insns[i] = sl->insns[0];
		} else {
			insns[i] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 };
		}
	}
	return 0;
}

/* The deepest stack byte P's own code uses (an offset from r10, <= 0), or
 * INT_MIN when it uses r10 in a way this does not follow. Clang addresses
 * the stack as r10 + off, or through "rX = r10; rX += imm" for an object
 * that a helper fills or that is reached at rX + off (off >= 0). */
static int prog_stack_low(const struct prog *p)
{
	int low = 0;

	for (size_t i = 0; i < p->insn_cnt; i++) {
		const struct bpf_insn *in = &p->insns[i];
		__u8 cls = BPF_CLASS(in->code);

		if (cls == BPF_LDX && in->src_reg == BPF_REG_10) {
			low = in->off < low ? in->off : low;
		} else if ((cls == BPF_ST || cls == BPF_STX) && in->dst_reg == BPF_REG_10) {
			low = in->off < low ? in->off : low;
		} else if (in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && in->src_reg == BPF_REG_10) {
			const struct bpf_insn *add = i + 1 < p->insn_cnt ? in + 1 : NULL;

			if (!add || add->code != (BPF_ALU64 | BPF_ADD | BPF_K) || add->dst_reg != in->dst_reg ||
			    add->imm > 0)
				return INT_MIN;
			low = add->imm < low ? add->imm : low;
		} else if ((cls == BPF_ALU64 || cls == BPF_ALU) && BPF_SRC(in->code) == BPF_X &&
			   in->src_reg == BPF_REG_10) {
			return INT_MIN; /* r10 in arithmetic: not followed */
		}
	}
	return low;
}

/* Is F's call in P spliced: F has a body for it and P's own stack stays above it? */
static bool spliced_in(const struct func *f, int low)
{
	return f->splice && low != INT_MIN && low >= f->splice_top;
}

/* The program's length linked: its functions once each, and with splice a
 * copy of a spliced body for each of its calls; *at: where each function goes. */
static size_t link_size(const struct skbd_obj *obj, const struct prog *p, int low, bool splice, size_t *at)
{
	size_t total = p->insn_cnt;

	memset(at, 0, (obj->nr_funcs ? obj->nr_funcs : 1) * sizeof(*at));
	for (size_t r = 0; r < p->nr_call_relocs; r++) { /* the functions first */
		const struct func *f = &obj->funcs[p->call_relocs[r].func];

		if ((!splice || !spliced_in(f, low)) && !at[p->call_relocs[r].func]) {
			at[p->call_relocs[r].func] = total;
			total += f->insn_cnt;
		}
	}
	for (size_t r = 0; splice && r < p->nr_call_relocs; r++) {
		const struct func *f = &obj->funcs[p->call_relocs[r].func];

		if (spliced_in(f, low))
			total += f->splice_cnt;
	}
	return total;
}

/* The program followed by every .text function it calls, calls pointed at
 * them, placeholders rewritten; a spliced body (skbd_obj__set_func_spliced)
 * copied after them for each of its calls, when the program's own stack
 * allows and every jump to and from the copies fits a jump's offset.
 * Returns a malloc'd copy (p->insns stays as it was) or NULL with *err set. */
static struct bpf_insn *link_funcs(struct skbd_obj *obj, const struct prog *p, size_t *cnt, int *err)
{
	size_t *at = calloc(obj->nr_funcs ? obj->nr_funcs : 1, sizeof(size_t)), total, next;
	int low = prog_stack_low(p);
	struct bpf_insn *out;
	bool splice = true;

	*err = -ENOMEM;
	if (!at)
		return NULL;
	total = link_size(obj, p, low, true, at);
	if (total > 32768) { /* a jump from the first instruction to the last would not fit */
		splice = false;
		total = link_size(obj, p, low, false, at);
	}
	out = malloc(total * sizeof(*out));
	if (!out) {
		free(at);
		return NULL;
	}
	memcpy(out, p->insns, p->insn_cnt * sizeof(*out));
	next = p->insn_cnt;
	for (size_t f = 0; f < obj->nr_funcs; f++)
		if (at[f]) {
			memcpy(out + at[f], obj->funcs[f].insns, obj->funcs[f].insn_cnt * sizeof(*out));
			next += obj->funcs[f].insn_cnt;
		}
	for (size_t r = 0; r < p->nr_call_relocs; r++) {
		struct func *f = &obj->funcs[p->call_relocs[r].func];
		size_t call = p->call_relocs[r].insn, last;

		if (!splice || !spliced_in(f, low)) {
			out[call].imm = (__s32)((__s64)at[p->call_relocs[r].func] - (__s64)call - 1);
			continue;
		}
		/* the call jumps to its own copy of the body, whose exit jumps back */
		memcpy(out + next, f->splice, f->splice_cnt * sizeof(*out));
		last = next + f->splice_cnt - 1;
		out[call] = (struct bpf_insn){ .code = BPF_JMP | BPF_JA, .off = (__s16)((__s64)next - (__s64)call - 1) };
		out[last] = (struct bpf_insn){ .code = BPF_JMP | BPF_JA, .off = (__s16)((__s64)call - (__s64)last) };
		next += f->splice_cnt;
		f->spliced++;
	}
	free(at);
	*err = link_inline(obj, p, out, total);
	if (*err) {
		free(out);
		return NULL;
	}
	*cnt = total;
	return out;
}

/* Does P call an optional placeholder that is set? */
static bool uses_optional(const struct skbd_obj *obj, const struct prog *p)
{
	for (size_t i = 0; i < p->insn_cnt; i++) {
		int k = placeholder_slot(&p->insns[i]);

		if (k >= 0 && obj->inl[k].cnt && obj->inl[k].optional)
			return true;
	}
	return false;
}

/* Every optional placeholder gives way to "r0 = 0". */
static void revert_optional(struct skbd_obj *obj)
{
	for (size_t k = 0; k < SKBD_INLINE_MAX; k++)
		if (obj->inl[k].optional)
			obj->inl[k].cnt = 0;
}

static int prog_load(struct skbd_obj *obj, const struct prog *p, const struct bpf_insn *insns, size_t cnt,
		     __u32 log_level, char *log, size_t log_size)
{
	return skbd_bpf_prog_load_to(obj->sys, p->type, p->expected_attach_type, p->attach_btf_id, p->name, insns, cnt,
				     obj->license, log_level, log, log_size);
}

static int load_prog(struct skbd_obj *obj, struct prog *p)
{
	const size_t log_size = 4 << 20;
	struct bpf_insn *insns;
	size_t cnt = 0;
	char *log;
	int fd, err;

	for (size_t r = 0; r < p->nr_map_relocs; r++) {
		struct bpf_insn *insn = &p->insns[p->map_relocs[r].insn];

		insn[0].src_reg = BPF_PSEUDO_MAP_FD;
		insn[0].imm = obj->maps[p->map_relocs[r].map].fd;
		insn[1].imm = 0;
	}
	insns = link_funcs(obj, p, &cnt, &err);
	if (!insns)
		return err;
	fd = prog_load(obj, p, insns, cnt, 0, NULL, 0);
	if (fd < 0 && fd != -EPERM && uses_optional(obj, p)) {
		/* optional placeholders the kernel refuses: load it without them */
		skbd_log(SKBD_LOG_DEBUG, "elf: %s with the optional placeholders: %s; loading it without them",
			 p->section, strerror(-fd));
		revert_optional(obj);
		free(insns);
		insns = link_funcs(obj, p, &cnt, &err);
		if (!insns)
			return err;
		fd = prog_load(obj, p, insns, cnt, 0, NULL, 0);
	}
	if (fd >= 0) {
		p->fd = fd;
		free(insns);
		return 0;
	}
	err = fd;
	if (p->optional) {
		p->load_err = err;
		skbd_log(SKBD_LOG_DEBUG, "elf: optional %s not loaded: %s", p->section, strerror(-err));
		free(insns);
		return 0;
	}
	skbd_log(SKBD_LOG_WARN, "elf: loading %s failed: %s", p->section, strerror(-err));
	if (err == -EPERM) {
		free(insns);
		return err; /* privileges, not the program: no log to show */
	}
	log = malloc(log_size);
	if (!log) {
		free(insns);
		return err;
	}
	fd = prog_load(obj, p, insns, cnt, 1, log, log_size);
	free(insns);
	if (fd >= 0) { /* loads with a log (should not happen): keep it */
		p->fd = fd;
		free(log);
		return 0;
	}
	log[log_size - 1] = '\0';
	if (log[0])
		log_verifier(p->section, log);
	free(log);
	return err;
}

static struct func *find_func(struct skbd_obj *obj, const char *name)
{
	for (size_t f = 0; f < obj->nr_funcs; f++)
		if (!strcmp(obj->funcs[f].name, name))
			return &obj->funcs[f];
	return NULL;
}

/* The function NAME to give a body of CNT instructions to, before load:
 * 0, -EBUSY, -ENOENT, -ENOMEM; *copy: INSNS copied. */
static int func_to_set(struct skbd_obj *obj, const char *name, const struct bpf_insn *insns, size_t cnt,
		       struct func **fn, struct bpf_insn **copy)
{
	if (obj->loaded)
		return -EBUSY;
	*fn = find_func(obj, name);
	if (!*fn)
		return -ENOENT;
	*copy = malloc(cnt * sizeof(**copy));
	if (!*copy)
		return -ENOMEM;
	memcpy(*copy, insns, cnt * sizeof(**copy));
	return 0;
}

int skbd_obj__set_func(struct skbd_obj *obj, const char *name, const struct bpf_insn *insns, size_t cnt)
{
	struct bpf_insn *copy;
	struct func *fn;
	int err;

	if (!obj->loaded && (!cnt || cnt > (1u << 20)))
		return -EINVAL;
	err = func_to_set(obj, name, insns, cnt, &fn, &copy);
	if (err)
		return err;
	free(fn->insns);
	fn->insns = copy;
	fn->insn_cnt = cnt;
	return 0;
}

int skbd_obj__set_func_spliced(struct skbd_obj *obj, const char *name, const struct bpf_insn *insns, size_t cnt,
			       int stack_top)
{
	struct bpf_insn *copy;
	struct func *fn;
	int err;

	/* its last instruction is its exit (a program it would make longer than a
	 * jump reaches calls the function instead: link_funcs) */
	if (!obj->loaded && (!cnt || cnt > (1u << 20) || insns[cnt - 1].code != (BPF_JMP | BPF_EXIT) ||
			     stack_top > 0 || stack_top < -512))
		return -EINVAL;
	err = func_to_set(obj, name, insns, cnt, &fn, &copy);
	if (err)
		return err;
	free(fn->splice);
	fn->splice = copy;
	fn->splice_cnt = cnt;
	fn->splice_top = stack_top;
	return 0;
}

size_t skbd_obj__func_spliced(const struct skbd_obj *obj, const char *name)
{
	const struct func *fn = find_func((struct skbd_obj *)obj, name); /* only read */

	return fn ? fn->spliced : 0;
}

int skbd_obj__set_inline(struct skbd_obj *obj, __u32 k, const struct bpf_insn *insns, size_t cnt, bool optional)
{
	if (obj->loaded)
		return -EBUSY;
	if (k >= SKBD_INLINE_MAX || !cnt || cnt > 2)
		return -EINVAL;
	memcpy(obj->inl[k].insns, insns, cnt * sizeof(*insns));
	obj->inl[k].cnt = (__u8)cnt;
	obj->inl[k].optional = optional;
	return 0;
}

bool skbd_obj__inline_used(const struct skbd_obj *obj, __u32 k)
{
	return k < SKBD_INLINE_MAX && obj->inl[k].cnt;
}

const char *skbd_obj__failed_map(const struct skbd_obj *obj, __u32 *max_entries)
{
	if (!obj || obj->failed_map < 0 || (size_t)obj->failed_map >= obj->nr_maps)
		return NULL;
	if (max_entries)
		*max_entries = obj->maps[obj->failed_map].def.max_entries;
	return obj->maps[obj->failed_map].name;
}

int skbd_obj__create_maps(struct skbd_obj *obj)
{
	bool *used;
	int err = 0;

	if (obj->maps_created || obj->loaded)
		return -EALREADY;
	used = calloc(obj->nr_maps ? obj->nr_maps : 1, sizeof(bool));
	if (!used)
		return -ENOMEM;
	obj->failed_map = -1;
	obj->maps_created = true;
	/* only the maps the programs being loaded refer to: an unused ring
	 * buffer map must not make a 5.7 kernel refuse the whole object */
	for (size_t i = 0; i < obj->nr_progs; i++)
		for (size_t r = 0; !obj->progs[i].skip && r < obj->progs[i].nr_map_relocs; r++)
			used[obj->progs[i].map_relocs[r].map] = true;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct map *m = &obj->maps[i];

		if (m->fd >= 0) {
			err = -EALREADY;
			break;
		}
		if (!used[i])
			continue;
		m->fd = skbd_bpf_map_create(obj->sys, m->def.type, m->name, m->def.key_size, m->def.value_size,
					    m->def.max_entries, m->def.map_flags);
		if (m->fd < 0) {
			err = m->fd;
			m->fd = -1;
			obj->failed_map = (long)i;
			/* the caller names it (skbd_obj__failed_map) */
			skbd_log(SKBD_LOG_DEBUG, "elf: creating map '%s' (type %u, %u entries): %s", m->name,
				 m->def.type, m->def.max_entries, strerror(-err));
			break;
		}
	}
	free(used);
	return err;
}

int skbd_obj__load_progs(struct skbd_obj *obj)
{
	int err = 0;

	if (obj->loaded)
		return -EALREADY;
	if (!obj->maps_created)
		return -EINVAL;
	for (size_t i = 0; i < obj->nr_progs; i++) {
		if (obj->progs[i].skip)
			continue;
		if (obj->progs[i].nr_field_relocs && !obj->fields_resolved) {
			skbd_log(SKBD_LOG_WARN, "elf: %s has field relocations: resolve them before load",
				 obj->progs[i].section);
			err = -EINVAL;
			break;
		}
		err = load_prog(obj, &obj->progs[i]);
		if (err)
			break;
	}
	obj->loaded = true;
	return err;
}

int skbd_obj__load(struct skbd_obj *obj)
{
	int err = skbd_obj__create_maps(obj);

	if (!err)
		return skbd_obj__load_progs(obj);
	obj->loaded = true; /* as after a failed program: final */
	return err;
}

int skbd_obj__find_prog(const struct skbd_obj *obj, const char *name)
{
	for (size_t i = 0; i < obj->nr_progs; i++)
		if (obj->progs[i].name && !strcmp(obj->progs[i].name, name))
			return (int)i;
	return -ENOENT;
}

int skbd_obj__set_optional(struct skbd_obj *obj, int idx, bool optional)
{
	if (idx < 0 || (size_t)idx >= obj->nr_progs)
		return -ENOENT;
	obj->progs[idx].optional = optional;
	return 0;
}

int skbd_obj__prog_load_error(const struct skbd_obj *obj, int idx)
{
	if (idx < 0 || (size_t)idx >= obj->nr_progs)
		return -ENOENT;
	return obj->progs[idx].load_err;
}

int skbd_obj__set_attach_btf_id(struct skbd_obj *obj, int idx, __u32 btf_id)
{
	if (idx < 0 || (size_t)idx >= obj->nr_progs)
		return -ENOENT;
	obj->progs[idx].attach_btf_id = btf_id;
	return 0;
}

int skbd_obj__set_autoload(struct skbd_obj *obj, int idx, bool autoload)
{
	if (idx < 0 || (size_t)idx >= obj->nr_progs)
		return -ENOENT;
	if (obj->loaded || obj->maps_created) /* its maps are made (or not) already */
		return -EBUSY;
	obj->progs[idx].skip = !autoload;
	return 0;
}

int skbd_obj__map_fd(const struct skbd_obj *obj, const char *name)
{
	for (size_t i = 0; i < obj->nr_maps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return obj->maps[i].fd >= 0 ? obj->maps[i].fd : -EBADF;
	return -ENOENT;
}

int skbd_obj__prog_count(const struct skbd_obj *obj)
{
	return (int)obj->nr_progs;
}

const char *skbd_obj__prog_section(const struct skbd_obj *obj, int idx)
{
	return idx >= 0 && (size_t)idx < obj->nr_progs ? obj->progs[idx].section : NULL;
}

int skbd_obj__prog_fd(const struct skbd_obj *obj, int idx)
{
	if (idx < 0 || (size_t)idx >= obj->nr_progs)
		return -ENOENT;
	return obj->progs[idx].fd >= 0 ? obj->progs[idx].fd : -EBADF;
}

const struct bpf_insn *skbd_obj__prog_insns(const struct skbd_obj *obj, int idx, size_t *cnt)
{
	if (idx < 0 || (size_t)idx >= obj->nr_progs)
		return NULL;
	*cnt = obj->progs[idx].insn_cnt;
	return obj->progs[idx].insns;
}

const char *skbd_obj__license(const struct skbd_obj *obj)
{
	return obj->license;
}
